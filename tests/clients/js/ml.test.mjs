// The official Elasticsearch JavaScript client against a running Vigil node (VIGIL_URL).
// .ci/run starts the node; locally: VIGIL_URL=http://127.0.0.1:9200 npm test
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@elastic/elasticsearch';

const client = new Client({ node: process.env.VIGIL_URL ?? 'http://127.0.0.1:9200' });
const job = `js-client-${process.pid}`;

test('info() accepts the node as Elasticsearch', async () => {
  const info = await client.info();
  assert.equal(info.tagline, 'You Know, for Search');
  assert.match(info.version.number, /^8\./);
});

test('a job goes through its whole life with the client API', async () => {
  const created = await client.ml.putJob({
    job_id: job,
    analysis_config: {
      bucket_span: '1h',
      detectors: [{ function: 'mean', field_name: 'responsetime', by_field_name: 'airline' }],
      influencers: ['airline'],
    },
    data_description: { time_field: 'time', time_format: 'epoch' },
  });
  assert.equal(created.analysis_limits.model_memory_limit, '1024mb');
  assert.equal(created.analysis_limits.categorization_examples_limit, 4);

  const got = await client.ml.getJobs({ job_id: job });
  assert.equal(got.count, 1);
  assert.equal(got.jobs[0].analysis_config.detectors[0].detector_description, 'mean(responsetime) by airline');

  const opened = await client.ml.openJob({ job_id: job, timeout: '30s' });
  assert.equal(opened.opened, true);

  const data = [];
  for (let i = 0; i < 600; i++) {
    for (const airline of ['AAL', 'JZA', 'KLM']) {
      const spike = airline === 'JZA' && i === 500;
      data.push({ time: 1403481600 + i * 600, airline, responsetime: (spike ? 1000 : 100) + ((i * 37) % 10) });
    }
  }
  const posted = await client.ml.postData({ job_id: job, data });
  assert.equal(posted.processed_record_count, 1800);
  assert.equal(posted.invalid_date_count, 0);

  const flushed = await client.ml.flushJob({ job_id: job, advance_time: String(1403481600 + 600 * 600) });
  assert.equal(flushed.flushed, true);

  const stats = await client.ml.getJobStats({ job_id: job });
  assert.equal(stats.jobs[0].state, 'opened');
  assert.equal(stats.jobs[0].data_counts.processed_record_count, 1800);
  assert.ok(stats.jobs[0].model_size_stats.model_bytes > 0);
  assert.ok(stats.jobs[0].node.id);

  const records = await client.ml.getRecords({ job_id: job, sort: 'record_score', desc: true });
  assert.ok(records.count >= 1);
  assert.equal(records.records[0].by_field_value, 'JZA');
  assert.equal(records.records[0].timestamp, (1403481600 + 500 * 600 - ((500 * 600) % 3600)) * 1000);

  const buckets = await client.ml.getBuckets({ job_id: job, anomaly_score: 25 });
  assert.ok(buckets.count >= 1);
  const influencers = await client.ml.getInfluencers({ job_id: job });
  assert.equal(influencers.influencers[0].influencer_field_value, 'JZA');

  const memory = await client.ml.getMemoryStats();
  const node = Object.values(memory.nodes)[0];
  assert.ok(node.mem.ml.anomaly_detectors_in_bytes > 0);

  assert.equal((await client.ml.closeJob({ job_id: job })).closed, true);
  assert.equal((await client.ml.deleteJob({ job_id: job })).acknowledged, true);
});

test('errors arrive as ResponseError with the Elasticsearch body', async () => {
  await assert.rejects(client.ml.getJobs({ job_id: 'no-such-job' }), (e) => {
    assert.equal(e.meta.statusCode, 404);
    assert.equal(e.meta.body.error.type, 'resource_not_found_exception');
    assert.equal(e.meta.body.error.reason, "No known job with id 'no-such-job'");
    return true;
  });
});

test('filters and a scoped rule work through the client API', async () => {
  const filterId = `js-filter-${process.pid}`;
  const ruleJob = `js-rules-${process.pid}`;
  const put = await client.ml.putFilter({ filter_id: filterId, description: 'noisy airlines', items: ['JZA'] });
  assert.deepEqual(put.items, ['JZA']);

  const updated = await client.ml.updateFilter({ filter_id: filterId, add_items: ['KLM'], remove_items: ['JZA'] });
  assert.deepEqual(updated.items, ['KLM']);
  const got = await client.ml.getFilters({ filter_id: filterId });
  assert.equal(got.count, 1);
  assert.deepEqual(got.filters[0].items, ['KLM']);

  await client.ml.putJob({
    job_id: ruleJob,
    analysis_config: {
      bucket_span: '1h',
      detectors: [{
        function: 'mean', field_name: 'responsetime', by_field_name: 'airline',
        custom_rules: [{ actions: ['skip_result'], scope: { airline: { filter_id: filterId, filter_type: 'include' } } }],
      }],
    },
    data_description: { time_field: 'time', time_format: 'epoch' },
  });
  await client.ml.openJob({ job_id: ruleJob });
  const data = [];
  for (let i = 0; i < 600; i++) {
    for (const airline of ['AAL', 'KLM']) {
      // Both airlines spike at the same time; KLM is in the filter, so only AAL may be reported.
      const spike = i === 500;
      data.push({ time: 1403481600 + i * 600, airline, responsetime: (spike ? 1000 : 100) + ((i * 37) % 10) });
    }
  }
  await client.ml.postData({ job_id: ruleJob, data });
  await client.ml.flushJob({ job_id: ruleJob, advance_time: String(1403481600 + 600 * 600) });
  const records = await client.ml.getRecords({ job_id: ruleJob, record_score: 1 });
  assert.ok(records.count >= 1);
  assert.ok(records.records.every((r) => r.by_field_value === 'AAL'), JSON.stringify(records.records));

  // A filter in use cannot be deleted.
  await assert.rejects(client.ml.deleteFilter({ filter_id: filterId }), (e) => {
    assert.equal(e.meta.statusCode, 409);
    assert.equal(e.meta.body.error.type, 'status_exception');
    return true;
  });
  await client.ml.closeJob({ job_id: ruleJob });
  await client.ml.deleteJob({ job_id: ruleJob });
  assert.equal((await client.ml.deleteFilter({ filter_id: filterId })).acknowledged, true);
});

test('calendars and scheduled events work through the client API', async () => {
  const calendarId = `js-calendar-${process.pid}`;
  const eventJob = `js-events-${process.pid}`;
  const spikeTime = (1403481600 + 500 * 600) * 1000;
  const put = await client.ml.putCalendar({ calendar_id: calendarId, description: 'maintenance windows' });
  assert.deepEqual(put, { calendar_id: calendarId, job_ids: [], description: 'maintenance windows' });

  await client.ml.putJob({
    job_id: eventJob,
    analysis_config: {
      bucket_span: '1h',
      detectors: [{ function: 'mean', field_name: 'responsetime', by_field_name: 'airline' }],
    },
    data_description: { time_field: 'time', time_format: 'epoch' },
  });
  const joined = await client.ml.putCalendarJob({ calendar_id: calendarId, job_id: eventJob });
  assert.deepEqual(joined.job_ids, [eventJob]);

  const posted = await client.ml.postCalendarEvents({
    calendar_id: calendarId,
    events: [{ description: 'upgrade', start_time: spikeTime, end_time: spikeTime + 600 * 1000 }],
  });
  assert.equal(posted.events[0].skip_result, true);
  assert.equal(posted.events[0].calendar_id, calendarId);
  const events = await client.ml.getCalendarEvents({ calendar_id: '_all', job_id: eventJob });
  assert.equal(events.count, 1);
  const eventId = events.events[0].event_id;
  assert.ok(eventId);
  assert.equal((await client.ml.getCalendars({ calendar_id: calendarId })).calendars[0].job_ids[0], eventJob);

  await client.ml.openJob({ job_id: eventJob });
  const data = [];
  for (let i = 0; i < 600; i++) {
    for (const airline of ['AAL', 'KLM']) {
      // Both airlines spike inside the event: no record, and the bucket lists the event.
      data.push({ time: 1403481600 + i * 600, airline, responsetime: (i === 500 ? 1000 : 100) + ((i * 37) % 10) });
    }
  }
  await client.ml.postData({ job_id: eventJob, data });
  await client.ml.flushJob({ job_id: eventJob, advance_time: String(1403481600 + 600 * 600) });
  const records = await client.ml.getRecords({ job_id: eventJob, record_score: 1 });
  const bucketStart = Math.floor(spikeTime / 3600000) * 3600000;
  assert.ok(records.records.every((r) => r.timestamp !== bucketStart), JSON.stringify(records.records));
  const buckets = await client.ml.getBuckets({ job_id: eventJob, timestamp: String(bucketStart) });
  assert.deepEqual(buckets.buckets[0].scheduled_events, ['upgrade']);

  await client.ml.closeJob({ job_id: eventJob });
  assert.equal((await client.ml.deleteCalendarEvent({ calendar_id: calendarId, event_id: eventId })).acknowledged, true);
  assert.deepEqual((await client.ml.deleteCalendarJob({ calendar_id: calendarId, job_id: eventJob })).job_ids, []);
  assert.equal((await client.ml.deleteCalendar({ calendar_id: calendarId })).acknowledged, true);
  await assert.rejects(client.ml.getCalendars({ calendar_id: calendarId }), (e) => {
    assert.equal(e.meta.statusCode, 404);
    assert.equal(e.meta.body.error.reason, `No calendar with id [${calendarId}]`);
    return true;
  });
  await client.ml.deleteJob({ job_id: eventJob });
});
