// An HTTP request sent to an MQTT port is named in the log and closed, whatever its method: POST, PUT
// and PATCH start with 'P', which is a valid PUBREC header, so the decoder alone would wait for more bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as netConnect } from 'node:net';
import { nextEvent } from '../helpers/wait.js';
import { startTransportBroker } from './transport-broker.js';

const WARNING = 'HTTP request on an MQTT port (WebSocket clients need a ws/wss listener); closing';

for (const method of ['POST', 'PUT', 'GET']) {
  test(`http on the mqtt port - a short ${method} request is logged and the broker closes the connection`, async () => {
    const server = await startTransportBroker([{ type: 'tcp' }]);
    try {
      const socket = netConnect(server.ports[0]!, '127.0.0.1');
      socket.on('error', () => {});
      const closed = nextEvent(socket, 'close');
      socket.write(`${method} / HTTP/1.1\r\nHost: x\r\n\r\n`); // shorter than the PUBREC 'P' + 'O'/'U' would announce
      await closed; // the broker closed it; the client never ends its side
      const logged = await server.waitForLog(WARNING);
      assert.equal(logged['listener'], 'tcp');
    } finally {
      await server.close();
    }
  });
}
