'use strict';
const { test, before, after, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const {
  SpinelRaftClient, SpinelRaftError, ReplyError, status, valueEquals, versionEquals, put, get, incr, command,
} = require('../src/client');
const { startServer } = require('./server');

let server;
let client;

before(async () => {
  server = await startServer();
  client = new SpinelRaftClient([server.grpcAddress]);
});

after(async () => {
  client.close();
  await server.stop();
});

beforeEach(async () => {
  await client.execute('FLUSHALL');
});

test('set and get', async () => {
  assert.equal(await client.set('k', 'v'), true);
  assert.deepEqual(await client.get('k'), Buffer.from('v'));
  assert.equal(await client.get('missing'), null);
  assert.equal(await client.set('k', 'w', { nx: true }), false);
  assert.deepEqual(await client.set('k', 'w', { returnPrevious: true }), { applied: true, previous: Buffer.from('v') });
  await client.set('ttl', 'x', { ttlMs: 60000 });
  const info = await client.getInfo('ttl');
  assert.ok(info.ttlMs > 0 && info.ttlMs <= 60000);
  assert.equal(typeof info.version, 'bigint');
});

test('mset, mget, delete, incr', async () => {
  assert.equal(await client.mset({ a: '1', b: '2' }), true);
  assert.deepEqual(await client.mget(['a', 'x', 'b']), [Buffer.from('1'), null, Buffer.from('2')]);
  assert.equal(await client.delete('a', 'b', 'x'), 2);
  assert.equal(await client.incr('n', 40), 40n);
  assert.equal(await client.incr('n'), 41n);
});

test('compare and set by value and version', async () => {
  assert.equal((await client.compareAndSet('k', 'v1', { expectedExists: false })).swapped, true);
  const miss = await client.compareAndSet('k', 'v2', { expectedValue: 'nope' });
  assert.equal(miss.swapped, false);
  assert.deepEqual(miss.value, Buffer.from('v1'));
  const { version } = await client.getInfo('k');
  assert.equal((await client.compareAndSet('k', 'v2', { expectedVersion: version })).swapped, true);
  assert.equal((await client.compareAndSet('k', 'v3', { expectedVersion: version })).swapped, false);
});

test('txn picks a branch atomically', async () => {
  await client.set('balance', '100');
  const paid = await client.txn({
    compares: [valueEquals('balance', '100')],
    success: [incr('balance', -30), put('receipt', 'yes')],
    failure: [get('balance')],
  });
  assert.equal(paid.succeeded, true);
  assert.deepEqual(paid.results, [70n, 'OK']);
  const again = await client.txn({ compares: [valueEquals('balance', '100')], success: [incr('balance', -30)],
    failure: [get('balance')] });
  assert.equal(again.succeeded, false);
  assert.deepEqual(again.results, [Buffer.from('70')]);
  const stale = await client.txn({ compares: [versionEquals('balance', 1)], success: [command('DEL', 'balance')] });
  assert.equal(stale.succeeded, false);
});

test('scan in byte order', async () => {
  await client.mset({ 'u:2': 'b', 'u:1': 'a', 'v:1': 'c' });
  const keys = [];
  for await (const entry of client.scan({ prefix: 'u:', pageSize: 1 })) keys.push(entry.key.toString());
  assert.deepEqual(keys, ['u:1', 'u:2']);
});

test('execute returns typed replies', async () => {
  await client.execute('HSET', 'h', 'f', 'v');
  const map = await client.execute('HGETALL', 'h');
  assert.ok(map instanceof Map);
  assert.deepEqual([...map.entries()].map(([k, v]) => [k.toString(), v.toString()]), [['f', 'v']]);
  assert.equal(await client.execute('PING'), 'PONG');
  assert.equal(await client.execute('GET', 'nothing'), null);
  await assert.rejects(client.execute('LPUSH', 'h', 'x'), (error) => error instanceof ReplyError &&
    error.message.startsWith('WRONGTYPE'));
});

test('errors carry gRPC codes and Redis texts', async () => {
  await client.execute('RPUSH', 'list', 'x');
  await assert.rejects(client.get('list'), (error) => error instanceof SpinelRaftError &&
    error.code === status.FAILED_PRECONDITION && error.message.startsWith('WRONGTYPE'));
});

test('watch and resume from the last position', async () => {
  const { position } = await client.status();
  await client.set('w', '1');
  await client.set('w', '2');
  const seen = [];
  const controller = new AbortController();
  for await (const event of client.watch({ key: 'w', startAfter: BigInt(position.revision), includeValues: true,
    signal: controller.signal })) {
    seen.push(event);
    if (seen.length === 1) break;
  }
  assert.equal(seen[0].kind, 'SET');
  assert.deepEqual(seen[0].value, Buffer.from('1'));
  const rest = [];
  for await (const event of client.watch({ key: 'w', startAfter: seen[0].position, includeValues: true })) {
    rest.push(event.value.toString());
    if (rest.length === 1) await client.delete('w');
    if (rest.length === 2) break;
  }
  assert.deepEqual(rest, ['2', '']);
});

test('cluster status of one node', async () => {
  const state = await client.status();
  assert.equal(state.role, 'leader');
  assert.equal(state.leaderAddress, server.grpcAddress);
  const members = await client.members();
  assert.equal(members.length, 1);
});

test('a password is required when the server has one', async () => {
  const locked = await startServer(['--requirepass', 'pw']);
  try {
    const anonymous = new SpinelRaftClient([locked.grpcAddress]);
    await assert.rejects(anonymous.get('k'), (error) => error.code === status.UNAUTHENTICATED &&
      error.message.startsWith('NOAUTH'));
    anonymous.close();
    const allowed = new SpinelRaftClient([locked.grpcAddress], { password: 'pw' });
    assert.equal(await allowed.set('k', 'v'), true);
    allowed.close();
  } finally {
    await locked.stop();
  }
});
