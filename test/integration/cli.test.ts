// The `starling` executable end to end: start on port 0, accept an MQTT client, stop on SIGTERM with
// exit code 0; configuration and usage errors exit 2 and say what is wrong.

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin', 'starling.js');
// The broker itself (src/index.ts) is written in parallel; until it is built only the error paths can run.
const brokerMissing = existsSync(join(root, 'dist', 'src', 'index.js')) ? false : 'dist/src/index.js not built yet';
const timeout = 20_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Run {
  child: ChildProcess;
  exited: Promise<Exit>;
}

const running = new Set<ChildProcess>();

function runStarling(args: string[]): Run {
  // Our own STARLING_* variables must not leak into the broker under test.
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('STARLING_')));
  const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, exited };
}

/** Resolves with the first `listening` log record, or rejects when the process ends first. */
function listening(run: Run): Promise<{ type: string; host: string; port: number }> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: run.child.stdout! });
    lines.on('line', (line) => {
      let record: { msg?: string; type?: string; host?: string; port?: number };
      try {
        record = JSON.parse(line) as typeof record;
      } catch {
        return;
      }
      if (record.msg === 'listening') {
        lines.close();
        resolve({ type: record.type ?? '', host: record.host ?? '', port: record.port ?? -1 });
      }
    });
    void run.exited.then((exit) =>
      reject(new Error(`starling exited (${exit.code}) before listening: ${exit.stderr}${exit.stdout}`)),
    );
  });
}

let directory: string;
before(async () => {
  directory = await mkdtemp(join(tmpdir(), 'starling-cli-'));
});
after(async () => {
  for (const child of running) child.kill('SIGKILL');
  await rm(directory, { recursive: true, force: true });
});

/** The management listener on a free port, so that runs never collide on 18083. */
const EPHEMERAL_MANAGEMENT = JSON.stringify({ listeners: [{ host: '127.0.0.1', port: 0 }] });

function startArgs(dataDir: string, ...extra: string[]): string[] {
  return ['start', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--log-pretty', 'false', '--management', EPHEMERAL_MANAGEMENT, ...extra];
}

describe('starling start', () => {
  test('logs the bound port, accepts an MQTT client, and exits 0 on SIGTERM', { skip: brokerMissing, timeout }, async () => {
    const run = runStarling(startArgs(await mkdtemp(join(directory, 'data-'))));
    const address = await listening(run);
    assert.equal(address.type, 'tcp');
    assert.equal(address.host, '127.0.0.1');
    assert.ok(address.port > 0, `a real port, got ${address.port}`);

    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${address.port}`, { reconnectPeriod: 0 });
    assert.equal(client.connected, true);

    run.child.kill('SIGTERM');
    const exit = await run.exited;
    await client.endAsync(true);
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /"msg":"shutting down"/);
  });

  test('SIGTERM disconnects MQTT 5 clients with Server shutting down (0x8B)', { skip: brokerMissing, timeout }, async () => {
    const run = runStarling(startArgs(await mkdtemp(join(directory, 'data-'))));
    const { port } = await listening(run);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0 });
    const disconnected = new Promise<number | undefined>((resolve) => {
      client.on('disconnect', (packet) => resolve(packet.reasonCode));
    });
    run.child.kill('SIGTERM');
    assert.equal(await disconnected, 0x8b);
    assert.equal((await run.exited).code, 0);
    await client.endAsync(true);
  });

  test('starling stop shuts the broker on that data directory down gracefully (0x8B to MQTT 5 clients, exit 0); with none running it exits 1', { skip: brokerMissing, timeout }, async () => {
    const dataDir = await mkdtemp(join(directory, 'data-'));
    const run = runStarling(startArgs(dataDir));
    const { port } = await listening(run);
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 5, reconnectPeriod: 0 });
    const disconnected = new Promise<number | undefined>((resolve) => {
      client.on('disconnect', (packet) => resolve(packet.reasonCode));
    });
    const stop = await runStarling(['stop', '--data-dir', dataDir]).exited;
    assert.deepEqual([stop.code, stop.stdout, stop.stderr], [0, 'stopping\n', '']);
    assert.equal(await disconnected, 0x8b);
    const exit = await run.exited;
    assert.equal(exit.code, 0, exit.stderr);
    assert.match(exit.stdout, /"cause":"starling stop".*"msg":"shutting down"/);
    await client.endAsync(true);

    const again = await runStarling(['stop', '--data-dir', dataDir]).exited;
    assert.deepEqual([again.code, again.stderr], [1, 'starling stop: no broker is running on this data directory\n']);
  });

  test('a port already in use exits 1 with a one-line error', { skip: brokerMissing, timeout }, async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const run = runStarling([...startArgs(await mkdtemp(join(directory, 'data-'))), '--port', String(port)]);
      const exit = await run.exited;
      assert.equal(exit.code, 1);
      assert.match(exit.stderr, /^starling: cannot start: .*EADDRINUSE.*\n$/);
    } finally {
      server.close();
    }
  });

  test('a config file with an unknown key exits 2 naming the key', { timeout }, async () => {
    const file = join(directory, 'bad.yaml');
    await writeFile(file, 'max_packet_sise: 2048\n');
    const exit = await runStarling(['start', '--config', file]).exited;
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, /^starling: config error: max_packet_sise: unknown key .*did you mean max_packet_size\?/);
  });

  test('a config value of the wrong type exits 2 naming the key and the file', { timeout }, async () => {
    const file = join(directory, 'wrong-type.json');
    await writeFile(file, '{"max_inflight": "many"}');
    const exit = await runStarling(['start', '--config', file]).exited;
    assert.equal(exit.code, 2);
    assert.ok(exit.stderr.includes('max_inflight: expected an integer'), exit.stderr);
    assert.ok(exit.stderr.includes(file), exit.stderr);
  });

  test('a missing config file exits 2', { timeout }, async () => {
    const exit = await runStarling(['start', '--config', join(directory, 'absent.yaml')]).exited;
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, /config error: config: cannot read .*absent\.yaml/);
  });

  test('an unknown flag exits 2 with a suggestion', { timeout }, async () => {
    const exit = await runStarling(['start', '--prot', '1883']).exited;
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, /unknown flag --prot \(did you mean --port\?\)/);
  });
});

describe('starling', () => {
  test('an unknown command exits 2', { timeout }, async () => {
    const exit = await runStarling(['serve']).exited;
    assert.equal(exit.code, 2);
    assert.match(exit.stderr, /unknown command "serve"/);
  });

  test('--version prints the package version', { timeout }, async () => {
    const exit = await runStarling(['--version']).exited;
    assert.equal(exit.code, 0);
    assert.match(exit.stdout, /^\d+\.\d+\.\d+/);
  });

  test('--help lists the commands', { timeout }, async () => {
    const exit = await runStarling(['--help']).exited;
    assert.equal(exit.code, 0);
    assert.match(exit.stdout, /start/);
    assert.match(exit.stdout, /bench/);
  });
});
