// Sends a request with exact bytes and headers (invalid UTF-8, huge or chunked bodies) and reads the
// answer even when the server answers before it has read the whole body and closes the connection.
import { request } from 'node:http';

export interface RawAnswer {
  status: number;
  body: any;
}

export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body: Buffer | Buffer[] },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'POST', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
      res.on('error', reject);
    });
    // The server may close the connection as soon as it has answered (413): not our failure.
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    req.setTimeout(60_000, () => req.destroy(new Error(`no answer from ${url} within 60 s`)));
    const parts = Array.isArray(options.body) ? options.body : [options.body];
    const writeNext = (i: number): void => {
      if (i >= parts.length) {
        req.end();
        return;
      }
      if (req.destroyed) return;
      if (req.write(parts[i])) writeNext(i + 1);
      else req.once('drain', () => writeNext(i + 1));
    };
    writeNext(0);
  });
}
