'use strict';
// Usage: node examples/basic.js [host:port]   (a spinelraft-server with its gRPC port, default 127.0.0.1:50051)
const { SpinelRaftClient, valueEquals, put, get } = require('../src/client');

async function main() {
  const client = new SpinelRaftClient([process.argv[2] || '127.0.0.1:50051']);
  try {
    await client.set('greeting', 'hello', { ttlMs: 60000 });
    console.log('greeting =', (await client.get('greeting')).toString());

    const { version } = await client.getInfo('greeting');
    const cas = await client.compareAndSet('greeting', 'hello again', { expectedVersion: version });
    console.log('compare-and-set swapped:', cas.swapped, 'new version:', cas.version);

    const txn = await client.txn({
      compares: [valueEquals('greeting', 'hello again')],
      success: [put('seen', '1'), get('greeting')],
      failure: [get('greeting')],
    });
    console.log('txn succeeded:', txn.succeeded, 'results:', txn.results.map(String));

    console.log('counter =', await client.incr('counter', 5));
    console.log('HGETALL =', await client.execute('HGETALL', 'no-such-hash'));

    const { position } = await client.status();
    const controller = new AbortController();
    setTimeout(() => client.set('greeting', 'bye'), 100);
    for await (const event of client.watch({ key: 'greeting', startAfter: BigInt(position.revision),
      includeValues: true, signal: controller.signal })) {
      console.log('watch:', event.kind, event.key.toString(), event.value.toString(), 'at', event.position);
      break;
    }
  } finally {
    client.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
