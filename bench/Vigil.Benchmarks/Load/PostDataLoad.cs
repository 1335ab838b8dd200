using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;

namespace Vigil.Benchmarks.Load;

/// <summary>
/// End-to-end ingestion load: streams generated NDJSON records into one open job of a running node over
/// HTTP, in one or more bodies, and reports records per second and the server's resident memory.
/// </summary>
/// <remarks>
/// Usage: <c>load --url http://127.0.0.1:9200 --pid N [--records 10000000] [--bodies 10] [--job load-job]</c>.
/// The body is generated while it is sent (never held whole), so a single body can be many gigabytes.
/// <c>bench/load.sh</c> starts a release node, runs this, and stops the node.
/// </remarks>
public static class PostDataLoad
{
    public static async Task<int> RunAsync(string[] args)
    {
        var url = Option(args, "--url") ?? "http://127.0.0.1:9200";
        var pid = int.Parse(Option(args, "--pid") ?? "0", CultureInfo.InvariantCulture);
        var records = long.Parse(Option(args, "--records") ?? "10000000", CultureInfo.InvariantCulture);
        var bodies = int.Parse(Option(args, "--bodies") ?? "10", CultureInfo.InvariantCulture);
        var job = Option(args, "--job") ?? "load-job";
        using var client = new HttpClient { BaseAddress = new Uri(url), Timeout = Timeout.InfiniteTimeSpan };

        await SendAsync(client, HttpMethod.Put, $"/_ml/anomaly_detectors/{job}",
            """{"analysis_config":{"bucket_span":"5m","detectors":[{"function":"mean","field_name":"responsetime","by_field_name":"airline"}]},"data_description":{"time_field":"time","time_format":"epoch_ms"}}""");
        await SendAsync(client, HttpMethod.Post, $"/_ml/anomaly_detectors/{job}/_open", null);

        var perBody = records / bodies;
        long bytes = 0;
        long peakRss = 0;
        var rssSamples = new List<long>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var rss = ResidentBytes(pid);
                peakRss = Math.Max(peakRss, rss);
                lock (rssSamples)
                {
                    rssSamples.Add(rss);
                }

                try
                {
                    await Task.Delay(250, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });

        var stopwatch = Stopwatch.StartNew();
        long processed = 0;
        for (var b = 0; b < bodies; b++)
        {
            var content = new RecordStreamContent(b * perBody, perBody);
            using var request = new HttpRequestMessage(HttpMethod.Post, $"/_ml/anomaly_detectors/{job}/_data") { Content = content };
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                Console.Error.WriteLine($"upload {b} failed: {(int)response.StatusCode} {text}");
                return 1;
            }

            bytes += content.BytesWritten;
            processed += perBody;
            Console.Error.WriteLine($"body {b + 1}/{bodies}: {processed:N0} records, {stopwatch.Elapsed.TotalSeconds:F1}s, server RSS {ResidentBytes(pid) / (1024 * 1024)} MiB");
        }

        var elapsed = stopwatch.Elapsed.TotalSeconds;
        await sampling.CancelAsync();
        await sampler;
        var stats = await client.GetStringAsync($"/_ml/anomaly_detectors/{job}/_stats?filter_path=jobs.data_counts.processed_record_count,jobs.data_counts.input_bytes");
        await SendAsync(client, HttpMethod.Post, $"/_ml/anomaly_detectors/{job}/_close", null);
        await SendAsync(client, HttpMethod.Delete, $"/_ml/anomaly_detectors/{job}", null);

        Console.WriteLine($"records: {processed:N0} in {bodies} bodies of {bytes / bodies / (1024 * 1024):N0} MiB ({bytes / (1024 * 1024):N0} MiB total)");
        Console.WriteLine($"elapsed: {elapsed:F1} s, {processed / elapsed:N0} records/s, {bytes / elapsed / (1024 * 1024):F1} MiB/s");
        Console.WriteLine($"server RSS: peak {peakRss / (1024 * 1024)} MiB");
        Console.WriteLine($"stats: {stats}");
        return 0;
    }

    private static async Task SendAsync(HttpClient client, HttpMethod method, string path, string? json)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static long ResidentBytes(int pid)
    {
        if (pid <= 0)
        {
            return 0;
        }

        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
                    return kb * 1024;
                }
            }
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>NDJSON records generated as the body is written: farequote-like, 5-minute spaced, 100 airlines.</summary>
    private sealed class RecordStreamContent : HttpContent
    {
        private readonly long _first;
        private readonly long _count;

        public RecordStreamContent(long first, long count)
        {
            _first = first;
            _count = count;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson");
        }

        public long BytesWritten { get; private set; }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var buffer = new byte[256 * 1024];
            var used = 0;
            var start = 1_403_481_600_000L;
            for (var i = _first; i < _first + _count; i++)
            {
                if (used > buffer.Length - 128)
                {
                    await stream.WriteAsync(buffer.AsMemory(0, used));
                    BytesWritten += used;
                    used = 0;
                }

                var span = buffer.AsSpan(used);
                var written = 0;
                Append(span, "{\"time\":"u8, ref written);
                (start + (i / 100 * 3000)).TryFormat(span[written..], out var n, default, CultureInfo.InvariantCulture);
                written += n;
                Append(span, ",\"airline\":\"A"u8, ref written);
                (i % 100).TryFormat(span[written..], out n, "D3", CultureInfo.InvariantCulture);
                written += n;
                Append(span, "\",\"responsetime\":"u8, ref written);
                (100 + (i * 7919 % 1000 / 10.0)).TryFormat(span[written..], out n, "F2", CultureInfo.InvariantCulture);
                written += n;
                Append(span, "}\n"u8, ref written);
                used += written;
            }

            await stream.WriteAsync(buffer.AsMemory(0, used));
            BytesWritten += used;
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        private static void Append(Span<byte> destination, ReadOnlySpan<byte> text, ref int at)
        {
            text.CopyTo(destination[at..]);
            at += text.Length;
        }
    }
}
