'use strict';
// Starts a real spinelraft-server (the Python package of this repository) for the tests.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const REPO = path.join(__dirname, '..', '..', '..');

function python() {
  if (process.env.SPINELRAFT_PYTHON) return process.env.SPINELRAFT_PYTHON;
  const venv = path.join(REPO, '.venv', 'bin', 'python');
  return fs.existsSync(venv) ? venv : 'python3';
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Start a server; resolves to {grpcAddress, stop()} once its gRPC port answers. */
async function startServer(extraArgs = []) {
  const [port, raftPort, grpcPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spinelraft-node-test-'));
  const child = spawn(python(), ['-m', 'spinelraft.server', '--port', String(port), '--raft-port', String(raftPort),
    '--grpc-port', String(grpcPort), '--metrics-port', '0', '--data-dir', dataDir,
    '--logfile', path.join(dataDir, 'server.log'), ...extraArgs], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready in 60 s: ${stderr}`)), 60000);
    child.stdout.on('data', (chunk) => {
      if (String(chunk).includes('ready on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${stderr}`));
    });
  });
  await ready;
  return {
    grpcAddress: `127.0.0.1:${grpcPort}`,
    stop() {
      return new Promise((resolve) => {
        if (child.exitCode !== null) { resolve(); return; }
        const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
        child.once('exit', () => {
          clearTimeout(timer);
          fs.rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      });
    },
  };
}

module.exports = { startServer };
