// A tiny BERT encoder folder in the layout of a staged pretrained one (config.json, tokenizer.json,
// model.safetensors), with seeded random weights and a vocabulary built from given texts: what the
// transformer code paths (fine-tuning, distillation, the training service, scoring) are tested with
// in seconds, and what an operator can point MERCATO_ENCODER_DIR at to smoke-test a deployment
// without the 90 MB real encoder. Its predictions mean nothing until it is fine-tuned.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { seededRandom } from '@mercato/synthetic';
import { writeSafetensors } from './safetensors';

export interface TinyEncoderOptions {
  /** Texts whose lower-cased words (and punctuation) make up the vocabulary. */
  texts: string[];
  hiddenSize?: number;
  layers?: number;
  heads?: number;
  intermediateSize?: number;
  maxPositions?: number;
  seed?: number;
  /** Rows of the embedding matrix to declare in config.json (default: the vocabulary's size). */
  declaredVocabSize?: number;
}

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

/** A BERT tokenizer.json (the all-MiniLM-L6-v2 pipeline) over the given vocabulary. */
export function tinyTokenizerJson(words: string[]): Record<string, unknown> {
  const vocab = Object.fromEntries([...SPECIALS, ...words].map((w, i) => [w, i]));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}

/** Writes the folder and returns its path. */
export function writeTinyEncoder(dir: string, options: TinyEncoderOptions): string {
  const words = [
    ...new Set(options.texts.flatMap((t) => t.toLowerCase().match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? [])),
  ].sort();
  const vocabSize = SPECIALS.length + words.length;
  const h = options.hiddenSize ?? 32;
  const m = options.intermediateSize ?? 64;
  const layers = options.layers ?? 2;
  const positions = options.maxPositions ?? 64;
  const rand = seededRandom(options.seed ?? 7);
  const normal = (n: number, std = 0.05): Float32Array =>
    Float32Array.from({ length: n }, () => {
      const u = Math.max(rand(), 1e-9);
      return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
    });
  const filled = (n: number, v: number): Float32Array => new Float32Array(n).fill(v);
  const tensors: { name: string; shape: number[]; values: Float32Array }[] = [
    { name: 'embeddings.word_embeddings.weight', shape: [vocabSize, h], values: normal(vocabSize * h, 0.5) },
    { name: 'embeddings.position_embeddings.weight', shape: [positions, h], values: normal(positions * h) },
    { name: 'embeddings.token_type_embeddings.weight', shape: [2, h], values: normal(2 * h) },
    { name: 'embeddings.LayerNorm.weight', shape: [h], values: filled(h, 1) },
    { name: 'embeddings.LayerNorm.bias', shape: [h], values: filled(h, 0) },
  ];
  for (let i = 0; i < layers; i++) {
    const p = `encoder.layer.${i}.`;
    for (const part of [
      'attention.self.query',
      'attention.self.key',
      'attention.self.value',
      'attention.output.dense',
    ])
      tensors.push(
        { name: `${p}${part}.weight`, shape: [h, h], values: normal(h * h, 0.1) },
        { name: `${p}${part}.bias`, shape: [h], values: filled(h, 0) },
      );
    tensors.push(
      { name: `${p}attention.output.LayerNorm.weight`, shape: [h], values: filled(h, 1) },
      { name: `${p}attention.output.LayerNorm.bias`, shape: [h], values: filled(h, 0) },
      { name: `${p}intermediate.dense.weight`, shape: [m, h], values: normal(m * h, 0.1) },
      { name: `${p}intermediate.dense.bias`, shape: [m], values: filled(m, 0) },
      { name: `${p}output.dense.weight`, shape: [h, m], values: normal(h * m, 0.1) },
      { name: `${p}output.dense.bias`, shape: [h], values: filled(h, 0) },
      { name: `${p}output.LayerNorm.weight`, shape: [h], values: filled(h, 1) },
      { name: `${p}output.LayerNorm.bias`, shape: [h], values: filled(h, 0) },
    );
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'bert',
      hidden_act: 'gelu',
      position_embedding_type: 'absolute',
      vocab_size: options.declaredVocabSize ?? vocabSize,
      hidden_size: h,
      num_hidden_layers: layers,
      num_attention_heads: options.heads ?? 2,
      intermediate_size: m,
      max_position_embeddings: positions,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
    }),
  );
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson(words)));
  writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(tensors));
  return dir;
}
