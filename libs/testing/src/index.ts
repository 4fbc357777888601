/**
 * @octo/testing: the integration harness. Real servers on loopback ports (OpenSSH sshd,
 * moto's S3 server), a fault-injecting S3 proxy, and helpers to inspect a bucket and to make
 * large test files fast. Every server is stopped by its `stop()`, and at process exit.
 */
export * from './free-port.js';
export * from './managed-process.js';
export * from './sshd-server.js';
export * from './login-user.js';
export * from './moto-s3-server.js';
export * from './redis-server.js';
export * from './fault-proxy.js';
export * from './connect-proxy.js';
export * from './keystream-file.js';
export * from './s3-inspect.js';
export * from './config-files.js';
export * from './octo-cli.js';
export * from './sftp-s3-stack.js';
export * from './latency-proxy.js';
export * from './silent-server.js';
export * from './stalling-s3-server.js';
