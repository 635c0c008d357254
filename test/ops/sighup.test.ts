// A `starling start` process reloads its config file on SIGHUP and on `starling ctl reload` (over
// its admin socket), logs what it applied and what needs a restart, keeps running on a broken file
// (logging the key), and changes its log level with `starling ctl log level`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBrokerProcess, temporaryDataDir } from '../helpers/broker-process.js';
import { starling } from '../helpers/ctl.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitFor } from '../helpers/wait.js';

test('sighup - starling start reloads its config file on SIGHUP and with starling ctl reload; a broken file keeps it running; ctl log level', async () => {
  const { dataDir, remove } = await temporaryDataDir();
  const file = join(dataDir, 'reloaded.json');
  const write = (settings: object): Promise<void> =>
    writeFile(file, JSON.stringify({ listeners: [{ type: 'tcp', host: '127.0.0.1', port: 0 }], management: { listeners: [{ host: '127.0.0.1', port: 0 }] }, allow_anonymous: true, ...settings }));
  await write({ max_packet_size: 100_000 });
  const broker = await startBrokerProcess(dataDir, ['--config', file]);
  const maximumPacketSize = async (): Promise<number | undefined> => {
    const { client, connack } = await RawClient.connect(broker.port);
    await client.disconnect();
    return connack.properties?.maximumPacketSize;
  };
  const logged = (message: string, from: number): Array<Record<string, unknown>> => broker.logs.slice(from).filter((line) => line['msg'] === message);
  try {
    assert.equal(await maximumPacketSize(), 100_000);

    let mark = broker.logs.length;
    await write({ max_packet_size: 1000, node_name: 'renamed' });
    process.kill(broker.pid, 'SIGHUP');
    await waitFor(() => logged('configuration reloaded', mark).length === 1, 'the reload log line');
    const [line] = logged('configuration reloaded', mark);
    assert.deepEqual([line!['cause'], line!['file'], line!['applied'], line!['notApplied']], ['SIGHUP', file, ['max_packet_size'], ['node_name (restart needed)']]);
    assert.ok(logged('changed in the config file but not applied until a restart: node_name', mark).length === 1);
    assert.equal(await maximumPacketSize(), 1000);

    mark = broker.logs.length;
    await writeFile(file, JSON.stringify({ max_packet_size: -5 }));
    process.kill(broker.pid, 'SIGHUP');
    await waitFor(() => logged('configuration not reloaded: the file is wrong; the running configuration stays', mark).length === 1, 'the refusal log line');
    const [refusal] = logged('configuration not reloaded: the file is wrong; the running configuration stays', mark);
    assert.equal(refusal!['key'], 'max_packet_size');
    assert.match(String(refusal!['reason']), /^max_packet_size: expected an integer from 1 to 268435455, got -5/);
    assert.equal(await maximumPacketSize(), 1000);

    await write({ max_packet_size: 2000, node_name: 'renamed' });
    const dry = await starling(['ctl', 'reload', '--dry-run', '--data-dir', dataDir]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, `dry run of a reload of ${file}\nwould apply: max_packet_size (connections accepted from now on)\nnot applied: node_name (restart needed)\n`);
    assert.equal(await maximumPacketSize(), 1000);
    const reloaded = await starling(['ctl', 'reload', '--data-dir', dataDir]);
    assert.equal(reloaded.code, 0, reloaded.stderr);
    assert.equal(reloaded.stdout, `reloaded ${file}\napplied: max_packet_size (connections accepted from now on)\nnot applied: node_name (restart needed)\n`);
    assert.equal(await maximumPacketSize(), 2000);
    const json = await starling(['ctl', 'reload', '--json', '--data-dir', dataDir]);
    assert.deepEqual(JSON.parse(json.stdout).applied, []);

    await writeFile(file, '{"max_packet_size": ');
    const broken = await starling(['ctl', 'reload', '--data-dir', dataDir]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^starling ctl: config: cannot parse .*reloaded\.json/);

    // The process flag --log-level info wins over the file; ctl changes it at once.
    assert.deepEqual(await starling(['ctl', 'log', 'level', '--data-dir', dataDir]), { code: 0, stdout: 'info\n', stderr: '' });
    assert.deepEqual(await starling(['ctl', 'log', 'level', 'debug', '--data-dir', dataDir]), { code: 0, stdout: 'log level: debug\n', stderr: '' });
    mark = broker.logs.length;
    const { client } = await RawClient.connect(broker.port, { clientId: 'seen-at-debug' });
    await client.disconnect();
    await waitFor(() => broker.logs.slice(mark).some((entry) => entry['msg'] === 'client connected' && entry['clientId'] === 'seen-at-debug'), 'a debug line');
    const bad = await starling(['ctl', 'log', 'level', 'loud', '--data-dir', dataDir]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown log level "loud"/);

    assert.equal(broker.child.exitCode, null, 'still running');
    assert.deepEqual(await broker.stop(), { code: 0, signal: null });
  } finally {
    await broker.kill();
    await remove();
  }
});
