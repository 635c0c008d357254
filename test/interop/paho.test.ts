// Interop with Eclipse Paho for Python (Debian's python3-paho-mqtt, run with /usr/bin/python3):
// publish/subscribe at every QoS in MQTT 3.1.1 and 5, and a persistent session that receives
// what was published while it was offline. The scripts in test/interop/paho/ print one JSON line.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startBroker, type TestBroker } from '../helpers/broker.js';
import { Children } from '../helpers/interop.js';

/** Debian's interpreter: a python3 earlier on PATH (pyenv and the like) may not have paho. */
const PYTHON = '/usr/bin/python3';
// Compiled into dist/test/interop/; the scripts stay in the sources.
const SCRIPTS = fileURLToPath(new URL('../../../test/interop/paho/', import.meta.url));

interface ReceivedMessage {
  topic: string;
  payload: string;
  qos: number;
  retain: number;
  userProperties?: [string, string][];
}

interface Connack {
  reasonCode: number;
  sessionPresent: number;
}

describe('paho (Python)', () => {
  let server: TestBroker;
  const children = new Children();

  before(async () => {
    server = await startBroker();
  });
  after(async () => {
    await children.killAll();
    await server.close();
  });

  async function runScript<T>(script: string, args: (string | number)[]): Promise<T> {
    // -B: no __pycache__ next to the scripts in the source tree.
    const run = children.start(PYTHON, ['-B', `${SCRIPTS}${script}`, String(server.port), ...args.map(String)], { timeoutMs: 20_000 });
    const exit = await run.exited;
    const lastLine = exit.stdout.trim().split('\n').pop() ?? '';
    assert.equal(exit.code, 0, `${script} ${args.join(' ')} failed\nstdout: ${exit.stdout}\nstderr: ${exit.stderr}`);
    return JSON.parse(lastLine) as T;
  }

  for (const version of ['311', '5'] as const) {
    for (const qos of [0, 1, 2] as const) {
      test(`paho - MQTT ${version === '5' ? '5' : '3.1.1'} QoS ${qos}: a paho publisher reaches a paho subscriber`, async () => {
        const topic = `interop/paho/v${version}/qos${qos}`;
        const result = await runScript<{ connack: Connack; granted: number[]; messages: ReceivedMessage[] }>('pubsub.py', [version, qos, topic]);
        assert.deepEqual(result.connack, { reasonCode: 0, sessionPresent: 0 });
        assert.deepEqual(result.granted, [qos]);
        const expected: ReceivedMessage = { topic, payload: `paho ${version} qos ${qos}`, qos, retain: 0 };
        // MQTT 5 user properties are forwarded unaltered [MQTT-3.3.2-17].
        if (version === '5') expected.userProperties = [['origin', 'paho']];
        assert.deepEqual(result.messages, [expected]);
      });
    }

    test(`paho - MQTT ${version === '5' ? '5' : '3.1.1'}: a persistent session gets the QoS 1 message published while it was offline [MQTT-3.1.2-4] [MQTT-3.1.2-5]`, async () => {
      const topic = `interop/paho/persistent/v${version}`;
      const result = await runScript<{ first: Connack; second: Connack; messages: ReceivedMessage[] }>('persistent.py', [version, topic]);
      assert.deepEqual(result.first, { reasonCode: 0, sessionPresent: 0 });
      // [MQTT-3.2.2-2] Session Present 1 when the server resumes a stored session
      assert.deepEqual(result.second, { reasonCode: 0, sessionPresent: 1 });
      assert.deepEqual(result.messages, [{ topic, payload: 'queued while offline', qos: 1, retain: 0 }]);
    });
  }
});
