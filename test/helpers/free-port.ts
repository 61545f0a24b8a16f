import { createServer, type AddressInfo } from 'node:net';

/**
 * A TCP port nothing listens on at `host` just now (the kernel's pick for port 0), for a server a
 * test starts on a fixed port. Another process may take it before the test does; callers that can
 * listen on port 0 themselves should.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
