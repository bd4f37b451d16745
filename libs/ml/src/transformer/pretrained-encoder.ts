// Reads a staged pretrained encoder folder (config.json, tokenizer.json, model.safetensors: the
// layout encoder-package.ts stages) into what TransformerSentimentModel.fromPretrained builds on,
// checking that the three agree before any weight reaches TensorFlow.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { bertConfigFrom, type BertConfig } from './bert';
import { ensureEncoder } from './encoder-package';
import { readSafetensors, type SafeTensor } from './safetensors';
import type { EncoderSource } from './transformer-sentiment';
import { WordPieceTokenizer } from './wordpiece';

export interface PretrainedEncoder {
  config: BertConfig;
  tokenizerJson: string;
  tensors: Map<string, SafeTensor>;
  source: EncoderSource;
}

/**
 * The encoder folder to fine-tune from: MERCATO_ENCODER_DIR when set (an image with the encoder
 * baked in, a test's tiny encoder), else the pinned all-MiniLM-L6-v2, staged on first use into
 * MERCATO_MODELS_DIR (a writable volume on a read-only image) or the checkout's .mercato/models.
 */
export async function encoderDir(log?: (message: string) => void): Promise<string> {
  const configured = process.env.MERCATO_ENCODER_DIR;
  if (configured) return configured;
  return (await ensureEncoder({ log, modelsDir: process.env.MERCATO_MODELS_DIR || undefined })).dir;
}

async function readText(dir: string, file: string): Promise<string> {
  try {
    return await readFile(join(dir, file), 'utf8');
  } catch (err) {
    throw new Error(`encoder folder ${dir}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Reads an encoder folder; `name` (default: the folder's name) is recorded in lineage. */
export async function loadPretrainedEncoder(dir: string, name = basename(dir)): Promise<PretrainedEncoder> {
  let configJson: Record<string, unknown>;
  try {
    configJson = JSON.parse(await readText(dir, 'config.json')) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`encoder folder ${dir}: config.json: ${(err as Error).message}`);
  }
  const config = bertConfigFrom(configJson);
  const tokenizerJson = await readText(dir, 'tokenizer.json');
  // Refuses a tokenizer whose vocabulary is not the embedding matrix's, naming both sizes.
  WordPieceTokenizer.fromJSON(tokenizerJson, { expectedVocabSize: config.vocabSize });
  let weights: Buffer;
  try {
    weights = await readFile(join(dir, 'model.safetensors'));
  } catch (err) {
    throw new Error(`encoder folder ${dir}: cannot read model.safetensors: ${(err as Error).message}`);
  }
  const tensors = readSafetensors(weights, (n) => !n.endsWith('position_ids'));
  const words =
    tensors.get('embeddings.word_embeddings.weight') ?? tensors.get('bert.embeddings.word_embeddings.weight');
  if (words && words.shape[0] !== config.vocabSize)
    throw new Error(
      `encoder folder ${dir}: config.json says ${config.vocabSize} words but the weights' embedding matrix has ${words.shape[0]} rows`,
    );
  return {
    config,
    tokenizerJson,
    tensors,
    source: { name, weightsSha256: createHash('sha256').update(weights).digest('hex') },
  };
}
