// A WordPiece tokenizer as the sentiment models use it: the text preparation they share (links
// dropped), a fixed or per-batch sequence length, and the tokenizer.json bytes that travel inside
// every artifact built on it, so scoring encodes text exactly as training did.
import type { ArtifactFile, ModelManifest } from '../artifact';
import type { SequenceEncoder, WordPositions } from '../tokenizer';
import { WordPieceTokenizer, type UnknownPieceStats, type WordPieceEncoding } from './wordpiece';

export type { WordPieceTokenizer };

export const TOKENIZER_FILE = 'tokenizer.json';

const URL_RE = /https?:\/\/\S+|www\.\S+/g;

/** Links carry no sentiment and cost a dozen word pieces each: they are dropped before tokenizing. */
export function encoderText(text: string): string {
  return text.replace(URL_RE, ' ');
}

export interface PieceTokenizerDescription {
  kind: 'wordpiece';
  file: string;
  version: string;
  maxLength: number;
}

export class PieceSequenceEncoder implements SequenceEncoder {
  readonly kind = 'wordpiece' as const;

  constructor(
    readonly tokenizer: WordPieceTokenizer,
    /** The tokenizer.json text it was read from, stored with the model. */
    readonly json: string,
    readonly maxLength: number,
  ) {}

  static fromJSON(json: string, maxLength: number, expectedVocabSize?: number): PieceSequenceEncoder {
    return new PieceSequenceEncoder(
      WordPieceTokenizer.fromJSON(json, { expectedVocabSize }),
      json,
      maxLength,
    );
  }

  /** The tokenizer an artifact's manifest names, read from the artifact's own tokenizer.json. */
  static fromArtifact(artifact: { files: ArtifactFile[] }, manifest: ModelManifest): PieceSequenceEncoder {
    const described = (manifest.extra as { tokenizer?: Partial<PieceTokenizerDescription> } | undefined)
      ?.tokenizer;
    if (described?.kind !== 'wordpiece' || !described.file || !described.maxLength)
      throw new Error('artifact manifest does not describe a wordpiece tokenizer (extra.tokenizer)');
    const file = artifact.files.find((f) => f.path === described.file);
    if (!file) throw new Error(`artifact has no ${described.file}`);
    const encoder = PieceSequenceEncoder.fromJSON(
      Buffer.from(file.bytes).toString('utf8'),
      described.maxLength,
    );
    if (described.version && encoder.version !== described.version)
      throw new Error(
        `tokenizer version mismatch: manifest says ${described.version}, ${described.file} is ${encoder.version}`,
      );
    return encoder;
  }

  get size(): number {
    return this.tokenizer.vocabSize;
  }

  get padId(): number {
    return this.tokenizer.padId;
  }

  get version(): string {
    return this.tokenizer.version;
  }

  encode(text: string): WordPieceEncoding {
    return this.tokenizer.encode(encoderText(text), { maxLength: this.maxLength });
  }

  wordPositions(text: string): WordPositions {
    const { words, wordIds } = this.encode(text);
    return { words: words.map((w) => w.text.toLowerCase()), wordIds };
  }

  unknownStats(texts: Iterable<string>): UnknownPieceStats {
    return this.tokenizer.unknownPieceStats([...texts].map(encoderText));
  }

  /** [CLS] pieces [SEP], right-padded with padId to maxLength: the CNN's fixed-length input. */
  encodeBatch(texts: string[]): Int32Array {
    return this.tokenizer.encodeBatch(texts.map(encoderText), {
      maxLength: this.maxLength,
      padding: 'max-length',
    }).ids;
  }

  describe(): PieceTokenizerDescription {
    return { kind: 'wordpiece', file: TOKENIZER_FILE, version: this.version, maxLength: this.maxLength };
  }

  file(): ArtifactFile {
    return { path: TOKENIZER_FILE, bytes: Buffer.from(this.json, 'utf8') };
  }
}
