'use strict';
/**
 * Node.js client of the SpinelRaft gRPC API (proto/spinelraft/v1/spinelraft.proto).
 *
 *   const { SpinelRaftClient } = require('spinelraft-client');
 *   const client = new SpinelRaftClient(['127.0.0.1:50051'], { password: 'secret' });
 *   await client.set('k', 'v', { ttlMs: 5000 });
 *   const value = await client.get('k');            // Buffer or null
 *   for await (const event of client.watch({ prefix: 'user:' })) { ... }
 *   client.close();
 *
 * Keys and values are Buffers (strings are sent as UTF-8). 64-bit integers (Incr results,
 * versions, positions) are BigInt. Retries follow the Python client: UNAVAILABLE moves to the
 * leader named in the `spinelraft-leader` metadata (or the next address); reads are retried,
 * writes only when the server says `spinelraft-applied: no` or no connection was made.
 */
const path = require('node:path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_PATH = process.env.SPINELRAFT_PROTO ||
  path.join(__dirname, '..', '..', '..', 'proto', 'spinelraft', 'v1', 'spinelraft.proto');
const LEADER_KEY = 'spinelraft-leader';
const APPLIED_KEY = 'spinelraft-applied';
const RETRIED = new Set([grpc.status.UNAVAILABLE, grpc.status.RESOURCE_EXHAUSTED]);
const BACKOFF_MS = 50;
const BACKOFF_MAX_MS = 1000;

const definition = protoLoader.loadSync(PROTO_PATH, {
  keepCase: false, longs: String, enums: String, defaults: true, oneofs: true,
});
const api = grpc.loadPackageDefinition(definition).spinelraft.v1;

/** An RPC that failed: `code` is the gRPC status code, `message` the server's Redis text. */
class SpinelRaftError extends Error {
  constructor(code, message, leader = '', applied = '') {
    super(message);
    this.name = 'SpinelRaftError';
    this.code = code;
    this.codeName = Object.keys(grpc.status).find((name) => grpc.status[name] === code) || String(code);
    this.leader = leader;
    this.applied = applied;
  }
}

/** An error reply of Command.Execute (e.g. WRONGTYPE ...). */
class ReplyError extends Error {
  constructor(message) {
    super(message);
    this.name = 'ReplyError';
  }
}

const toBuffer = (value) => (Buffer.isBuffer(value) ? value : Buffer.from(String(value)));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A proto Reply as JavaScript: Buffer (bulk), BigInt (integer), number (double), boolean, null,
 * string (simple), Array (array/set), Map (map), or ReplyError (an error nested in an array).
 * @param {object} reply
 */
function replyValue(reply) {
  switch (reply.kind) {
    case 'bulk': return reply.bulk;
    case 'integer': return BigInt(reply.integer);
    case 'double': return reply.double;
    case 'bool': return reply.bool;
    case 'simple': return reply.simple;
    case 'error': return new ReplyError(reply.error);
    case 'array': return reply.array.items.map(replyValue);
    case 'set': return reply.set.items.map(replyValue);
    case 'map': return new Map(reply.map.entries.map((e) => [replyValue(e.key), replyValue(e.value)]));
    default: return null;
  }
}

function metadataOf(error) {
  const metadata = error && error.metadata ? error.metadata.getMap() : {};
  return { leader: String(metadata[LEADER_KEY] || ''), applied: String(metadata[APPLIED_KEY] || '') };
}

function wrapError(error) {
  const { leader, applied } = metadataOf(error);
  return new SpinelRaftError(error.code, error.details || error.message, leader, applied);
}

/** Txn helpers: client.txn({ compares: [valueEquals('k', 'v')], success: [put('k', 'w')] }). */
const valueEquals = (key, value) => ({ key: toBuffer(key), operator: 'EQUAL', value: toBuffer(value) });
const versionEquals = (key, version) => ({ key: toBuffer(key), operator: 'EQUAL', version: String(version) });
const exists = (key, present = true) => ({ key: toBuffer(key), operator: 'EQUAL', exists: present });
const put = (key, value, ttlMs = 0) => ({ set: { key: toBuffer(key), value: toBuffer(value), ttlMs } });
const del = (key) => ({ delete: { key: toBuffer(key) } });
const get = (key) => ({ get: { key: toBuffer(key) } });
const incr = (key, delta = 1) => ({ incr: { key: toBuffer(key), delta: String(delta) } });
const command = (...argv) => ({ command: { argv: argv.map(toBuffer) } });

class SpinelRaftClient {
  /**
   * @param {string[]|string} addresses host:port of one or more nodes
   * @param {{password?: string, username?: string, timeoutMs?: number, retries?: number,
   *          consistency?: 'LINEARIZABLE'|'SERIALIZABLE', tlsRootCert?: Buffer}} [options]
   */
  constructor(addresses, options = {}) {
    this.addresses = (typeof addresses === 'string' ? addresses.split(',') : addresses)
      .map((a) => a.trim()).filter(Boolean);
    if (this.addresses.length === 0) throw new Error('at least one address (host:port) is needed');
    this.current = this.addresses[0];
    this.timeoutMs = options.timeoutMs || 10000;
    this.retries = options.retries === undefined ? 5 : options.retries;
    this.consistency = options.consistency || 'LINEARIZABLE';
    this.credentials = options.tlsRootCert
      ? grpc.credentials.createSsl(options.tlsRootCert) : grpc.credentials.createInsecure();
    this.metadata = new grpc.Metadata();
    if (options.password !== undefined) {
      if (options.username) {
        this.metadata.set('username', options.username);
        this.metadata.set('password', options.password);
      } else {
        this.metadata.set('authorization', `Bearer ${options.password}`);
      }
    }
    this.stubs = new Map();
  }

  close() {
    for (const services of this.stubs.values()) {
      for (const stub of Object.values(services)) stub.close();
    }
    this.stubs.clear();
  }

  stub(service) {
    let services = this.stubs.get(this.current);
    if (!services) {
      services = {};
      this.stubs.set(this.current, services);
    }
    if (!services[service]) services[service] = new api[service](this.current, this.credentials);
    return services[service];
  }

  /** Seconds-free retry decision: milliseconds to wait, or null to give up. */
  retryDelay(error, idempotent, attempt) {
    if (!RETRIED.has(error.code) || attempt >= this.retries) return null;
    const { leader, applied } = metadataOf(error);
    const neverSent = error.code === grpc.status.UNAVAILABLE && !applied &&
      /failed to connect|no connection|ECONNREFUSED/i.test(error.details || '');
    if (!(idempotent || applied === 'no' || neverSent)) return null;
    if (leader && leader !== this.current) {
      this.current = leader;
      return 0;
    }
    if (error.code === grpc.status.UNAVAILABLE && this.addresses.length > 1) {
      const index = this.addresses.indexOf(this.current);
      this.current = this.addresses[(index + 1) % this.addresses.length];
    }
    return Math.min(BACKOFF_MS * 2 ** attempt, BACKOFF_MAX_MS);
  }

  async call(service, method, request, idempotent) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await new Promise((resolve, reject) => {
          const deadline = new Date(Date.now() + this.timeoutMs);
          this.stub(service)[method](request, this.metadata, { deadline },
            (error, reply) => (error ? reject(error) : resolve(reply)));
        });
      } catch (error) {
        const wait = this.retryDelay(error, idempotent, attempt);
        if (wait === null) throw wrapError(error);
        await sleep(wait);
      }
    }
  }

  read(options) {
    return options.consistency || this.consistency;
  }

  // -- KV ---------------------------------------------------------------------------------------
  /** @returns {Promise<Buffer|null>} */
  async get(key, options = {}) {
    const reply = await this.call('KV', 'Get',
      { key: toBuffer(key), consistency: this.read(options), db: options.db || 0 }, true);
    return reply.found ? reply.value : null;
  }

  /** Value, version (BigInt) and TTL in ms (-1 none, -2 missing), read in one step. */
  async getInfo(key, options = {}) {
    const reply = await this.call('KV', 'Get', {
      key: toBuffer(key), consistency: this.read(options), db: options.db || 0, withMetadata: true,
    }, true);
    return { value: reply.found ? reply.value : null, version: BigInt(reply.version), ttlMs: Number(reply.ttlMs) };
  }

  /**
   * @param {{ttlMs?: number, nx?: boolean, xx?: boolean, returnPrevious?: boolean,
   *          keepTtl?: boolean, db?: number}} [options]
   * @returns {Promise<boolean|{applied: boolean, previous: Buffer|null}>}
   */
  async set(key, value, options = {}) {
    const condition = options.nx ? 'IF_NOT_EXISTS' : options.xx ? 'IF_EXISTS' : 'ALWAYS';
    const reply = await this.call('KV', 'Set', {
      key: toBuffer(key), value: toBuffer(value), ttlMs: options.ttlMs || 0, condition,
      returnPrevious: Boolean(options.returnPrevious), keepTtl: Boolean(options.keepTtl), db: options.db || 0,
    }, false);
    if (options.returnPrevious) {
      return { applied: reply.applied, previous: reply.previous && reply.previous.found ? reply.previous.value : null };
    }
    return reply.applied;
  }

  /** @returns {Promise<number>} how many keys existed */
  async delete(...keys) {
    const reply = await this.call('KV', 'Delete', { keys: keys.map(toBuffer) }, false);
    return Number(reply.deleted);
  }

  /** @returns {Promise<Array<Buffer|null>>} */
  async mget(keys, options = {}) {
    const reply = await this.call('KV', 'MGet',
      { keys: keys.map(toBuffer), consistency: this.read(options), db: options.db || 0 }, true);
    return reply.values.map((v) => (v.found ? v.value : null));
  }

  /** @param {Object<string, string|Buffer>} entries */
  async mset(entries, options = {}) {
    const pairs = Object.entries(entries).map(([key, value]) => ({ key: toBuffer(key), value: toBuffer(value) }));
    const reply = await this.call('KV', 'MSet',
      { pairs, onlyIfNoneExist: Boolean(options.onlyIfNoneExist), db: options.db || 0 }, false);
    return reply.applied;
  }

  /** @returns {Promise<bigint>} */
  async incr(key, delta = 1, options = {}) {
    const reply = await this.call('KV', 'Incr', { key: toBuffer(key), delta: String(delta), db: options.db || 0 }, false);
    return BigInt(reply.value);
  }

  /**
   * @param {{expectedValue?: string|Buffer, expectedVersion?: bigint|number, expectedExists?: boolean,
   *          ttlMs?: number, db?: number}} expected exactly one expectation
   * @returns {Promise<{swapped: boolean, value: Buffer|null, version: bigint}>}
   */
  async compareAndSet(key, value, expected) {
    const request = { key: toBuffer(key), value: toBuffer(value), ttlMs: expected.ttlMs || 0, db: expected.db || 0 };
    if (expected.expectedValue !== undefined) request.expectedValue = toBuffer(expected.expectedValue);
    else if (expected.expectedVersion !== undefined) request.expectedVersion = String(expected.expectedVersion);
    else if (expected.expectedExists !== undefined) request.expectedExists = expected.expectedExists;
    else throw new Error('give one of expectedValue, expectedVersion, expectedExists');
    const reply = await this.call('KV', 'CompareAndSet', request, false);
    return { swapped: reply.swapped, value: reply.current.found ? reply.current.value : null, version: BigInt(reply.version) };
  }

  /**
   * Every matching entry ({key, type, value, version}) in byte order, fetching pages as needed.
   * @param {{prefix?: string|Buffer, start?: string|Buffer, end?: string|Buffer, pageSize?: number,
   *          keysOnly?: boolean, db?: number}} [options]
   */
  async* scan(options = {}) {
    let cursor = Buffer.alloc(0);
    for (;;) {
      const request = { cursor, limit: options.pageSize || 100, keysOnly: Boolean(options.keysOnly),
        consistency: this.read(options), db: options.db || 0 };
      if (options.prefix !== undefined) request.prefix = toBuffer(options.prefix);
      else if (options.start !== undefined || options.end !== undefined) {
        request.range = { start: toBuffer(options.start || ''), end: toBuffer(options.end || '') };
      }
      const reply = await this.call('KV', 'Scan', request, true);
      for (const entry of reply.entries) {
        yield { key: entry.key, type: entry.type, value: entry.value, version: BigInt(entry.version) };
      }
      cursor = reply.nextCursor;
      if (cursor.length === 0) return;
    }
  }

  /** @returns {Promise<{succeeded: boolean, results: Array, versions: Map<string, bigint>}>} */
  async txn({ compares = [], success = [], failure = [], db = 0 } = {}) {
    const reply = await this.call('KV', 'Txn', { compares, success, failure, db }, false);
    return {
      succeeded: reply.succeeded,
      results: reply.results.map(replyValue),
      versions: new Map(reply.versions.map((v) => [v.key.toString(), BigInt(v.version)])),
    };
  }

  // -- Command ----------------------------------------------------------------------------------
  /** Any command; an error reply rejects with ReplyError. */
  async execute(...argv) {
    const reply = await this.call('Command', 'Execute', { argv: argv.map(toBuffer), consistency: this.consistency }, false);
    const value = replyValue(reply.reply);
    if (value instanceof ReplyError) throw value;
    return value;
  }

  // -- Watch ------------------------------------------------------------------------------------
  /**
   * Events ({kind, key, value, type, position: BigInt, shard, db}) as they are applied; reconnects
   * and resumes after the last position on UNAVAILABLE. Stop with `break` or `signal`. Positions
   * are per shard: on a cluster of several shards a key watch follows its key's shard and a
   * prefix watch the `shard` given (default 0).
   * @param {{key?: string|Buffer, prefix?: string|Buffer, startAfter?: bigint|number,
   *          includeValues?: boolean, db?: number, shard?: number, signal?: AbortSignal}} options
   */
  async* watch(options = {}) {
    let position = options.startAfter;
    const shard = options.shard || 0;
    for (let attempt = 0; ;) {
      const request = { includeValues: Boolean(options.includeValues), db: options.db || 0, shard };
      if (options.key !== undefined) request.key = toBuffer(options.key);
      else request.prefix = toBuffer(options.prefix || '');
      if (position !== undefined) request.startAfter = { revision: String(position), shard };
      const call = this.stub('Watch').Watch(request, this.metadata);
      const abort = () => call.cancel();
      if (options.signal) options.signal.addEventListener('abort', abort, { once: true });
      try {
        for await (const response of call) {
          attempt = 0;
          position = BigInt(response.position.revision);
          for (const event of response.events) {
            yield { kind: event.kind, key: event.key, value: event.value, type: event.type,
              position: BigInt(event.position.revision), shard: event.position.shard, db: event.db };
          }
        }
        return;
      } catch (error) {
        if (error.code === grpc.status.CANCELLED && options.signal && options.signal.aborted) return;
        const wait = this.retryDelay(error, true, attempt);
        if (wait === null) throw wrapError(error);
        attempt += 1;
        await sleep(wait);
      } finally {
        call.cancel();
        if (options.signal) options.signal.removeEventListener('abort', abort);
      }
    }
  }

  // -- Cluster ----------------------------------------------------------------------------------
  async status() {
    return this.call('Cluster', 'Status', {}, true);
  }

  async members() {
    return (await this.call('Cluster', 'Members', {}, true)).members;
  }

  /** Hand leadership to `targetId` (or the best follower); resolves to the new leader's id. */
  async transferLeader(targetId = '') {
    const { leaderAddress } = await this.status();
    if (leaderAddress) this.current = leaderAddress;
    return (await this.call('Cluster', 'TransferLeader', { targetId }, false)).leaderId;
  }
}

module.exports = {
  SpinelRaftClient, SpinelRaftError, ReplyError, replyValue, status: grpc.status,
  valueEquals, versionEquals, exists, put, del, get, incr, command,
};
