namespace Vigil.Engine.Evaluation;

/// <summary>Outcome of one file at a threshold.</summary>
/// <param name="Name">File name.</param>
/// <param name="Score">Raw weighted score of the file.</param>
/// <param name="TruePositives">Windows detected.</param>
/// <param name="FalseNegatives">Windows missed.</param>
/// <param name="FalsePositives">Detections outside windows (after probation).</param>
/// <param name="Windows">Windows that count (not entirely inside the probation period).</param>
public readonly record struct NabFileScore(string Name, double Score, int TruePositives, int FalseNegatives, int FalsePositives, int Windows);

/// <summary>Result of scoring a corpus under one profile with the corpus-optimal threshold.</summary>
/// <param name="Profile">The profile.</param>
/// <param name="Threshold">The optimal threshold (a detection is a score ≥ threshold).</param>
/// <param name="RawScore">Sum of the file scores.</param>
/// <param name="NormalizedScore">100·(raw − null)/(perfect − null).</param>
/// <param name="Files">Per-file outcomes at the threshold.</param>
public sealed record NabProfileResult(NabProfile Profile, double Threshold, double RawScore, double NormalizedScore, IReadOnlyList<NabFileScore> Files);

/// <summary>
/// NAB's published scoring, our own implementation: per-row sweep weights (scaled sigmoid of the
/// position in or after a window), probation of min(floor(0.15·N), 750) rows, earliest detection per
/// window, a single threshold per profile optimised over the whole corpus, and normalisation so that
/// the null detector scores 0 and the perfect one 100.
/// </summary>
public static class NabScorer
{
    /// <summary>Share of each file that is probation.</summary>
    public const double ProbationPercent = 0.15;

    /// <summary>NAB's scaled sigmoid: 2·σ(−5x) − 1, and −1 from 3 window lengths past a window on.</summary>
    public static double ScaledSigmoid(double relativePosition) =>
        relativePosition >= 3.0 ? -1.0 : 2.0 / (1.0 + Math.Exp(5.0 * relativePosition)) - 1.0;

    /// <summary>Rows of probation for a file of <paramref name="rows"/> rows.</summary>
    public static int ProbationRows(int rows) => (int)Math.Min(Math.Floor(ProbationPercent * rows), ProbationPercent * 5000);

    /// <summary>Scores a corpus: finds the best threshold for the profile and reports per-file outcomes at it.</summary>
    public static NabProfileResult Score(IReadOnlyList<NabFile> files, NabProfile profile)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(profile);
        var points = new List<Point>();
        var windowCount = 0;
        var windowOffsets = new int[files.Count];
        for (var f = 0; f < files.Count; f++)
        {
            windowOffsets[f] = windowCount;
            windowCount += Prepare(files[f], f, windowCount, profile, points);
        }

        // Sweep thresholds from high to low over all scorable rows of the corpus.
        points.Sort(static (a, b) => b.Score.CompareTo(a.Score));
        var windowBest = new double[windowCount];
        Array.Fill(windowBest, -profile.FalseNegativeWeight);
        var windowSum = -profile.FalseNegativeWeight * windowCount;
        var fpSum = 0.0;
        var bestScore = windowSum;
        var bestThreshold = 1.1;
        var i = 0;
        while (i < points.Count)
        {
            var threshold = points[i].Score;
            while (i < points.Count && points[i].Score == threshold)
            {
                var p = points[i];
                if (p.Window < 0)
                {
                    fpSum += p.Weight;
                }
                else if (p.Weight > windowBest[p.Window])
                {
                    windowSum += p.Weight - windowBest[p.Window];
                    windowBest[p.Window] = p.Weight;
                }

                i++;
            }

            var total = windowSum + fpSum;
            if (total > bestScore)
            {
                bestScore = total;
                bestThreshold = threshold;
            }
        }

        var perFile = new NabFileScore[files.Count];
        var raw = 0.0;
        for (var f = 0; f < files.Count; f++)
        {
            perFile[f] = ScoreFile(files[f], profile, bestThreshold);
            raw += perFile[f].Score;
        }

        var normalized = Normalize(raw, windowCount, profile);
        return new NabProfileResult(profile, bestThreshold, raw, normalized, perFile);
    }

    /// <summary>Normalises a raw score: null detector (all windows missed) = 0, perfect = 100.</summary>
    public static double Normalize(double raw, int windows, NabProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (windows == 0)
        {
            return double.NaN;
        }

        var nullScore = -profile.FalseNegativeWeight * windows;
        var perfect = profile.TruePositiveWeight * windows;
        return 100.0 * (raw - nullScore) / (perfect - nullScore);
    }

    /// <summary>Scores one file at a fixed threshold.</summary>
    public static NabFileScore ScoreFile(NabFile file, NabProfile profile, double threshold)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(profile);
        var points = new List<Point>();
        var windows = Prepare(file, 0, 0, profile, points);
        var best = new double[windows];
        Array.Fill(best, -profile.FalseNegativeWeight);
        var detected = new bool[windows];
        var fp = 0;
        var fpSum = 0.0;
        foreach (var p in points)
        {
            if (!(p.Score >= threshold))
            {
                continue;
            }

            if (p.Window < 0)
            {
                fp++;
                fpSum += p.Weight;
            }
            else
            {
                detected[p.Window] = true;
                best[p.Window] = Math.Max(best[p.Window], p.Weight);
            }
        }

        var tp = 0;
        var score = fpSum;
        for (var w = 0; w < windows; w++)
        {
            score += best[w];
            if (detected[w])
            {
                tp++;
            }
        }

        return new NabFileScore(file.Name, score, tp, windows - tp, fp, windows);
    }

    /// <summary>
    /// Computes every scorable row's sweep weight and window id (−1 outside windows), and returns
    /// the number of windows that have at least one row after probation.
    /// </summary>
    private static int Prepare(NabFile file, int fileIndex, int windowBase, NabProfile profile, List<Point> points)
    {
        _ = fileIndex;
        var times = file.TimesMs;
        var n = times.Length;
        var probation = ProbationRows(n);
        var maxTp = ScaledSigmoid(-1.0);

        // Window row ranges.
        var ranges = new List<(int Left, int Right)>();
        foreach (var (start, end) in file.Windows)
        {
            var left = LowerBound(times, start);
            var right = LowerBound(times, end + 1) - 1;
            if (left <= right)
            {
                ranges.Add((left, right));
            }
        }

        // Windows counted: those with a row after probation; ids are dense in that order.
        var ids = new int[ranges.Count];
        var counted = 0;
        for (var w = 0; w < ranges.Count; w++)
        {
            ids[w] = ranges[w].Right >= probation ? windowBase + counted++ : -1;
        }

        var next = 0;
        var prevRight = -1;
        var prevWidth = 0.0;
        for (var i = 0; i < n; i++)
        {
            while (next < ranges.Count && ranges[next].Right < i)
            {
                prevRight = ranges[next].Right;
                prevWidth = ranges[next].Right - ranges[next].Left + 1;
                next++;
            }

            int window;
            double weight;
            if (next < ranges.Count && ranges[next].Left <= i)
            {
                var width = (double)(ranges[next].Right - ranges[next].Left + 1);
                var position = -(ranges[next].Right - i + 1) / width;
                weight = ScaledSigmoid(position) * profile.TruePositiveWeight / maxTp;
                window = ids[next];
            }
            else
            {
                var position = prevRight < 0 ? 3.0 : Math.Abs(prevRight - i) / Math.Max(prevWidth - 1, 1e-9);
                weight = ScaledSigmoid(position) * profile.FalsePositiveWeight;
                window = -1;
            }

            if (i >= probation)
            {
                points.Add(new Point(file.Scores[i], weight, window));
            }
        }

        return counted;
    }

    private static int LowerBound(long[] times, long value)
    {
        int lo = 0, hi = times.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (times[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private readonly record struct Point(double Score, double Weight, int Window);
}
