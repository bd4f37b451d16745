// A BERT encoder (the architecture of all-MiniLM-L6-v2) in TensorFlow.js, as custom Layers so a
// fine-tuned classifier saves and loads as an ordinary LayersModel (model.json + weight shards):
// embeddings (word + position + token type, layer norm), N post-norm transformer blocks (multi-head
// self-attention, GELU feed-forward) and masked mean pooling. Weights load from a Hugging Face
// safetensors file by their published names. The layer classes are registered with TF.js's
// serialization registry when this module loads, which is what lets `tf.loadLayersModel` read them.
import * as tfjs from '@tensorflow/tfjs';
import type { TF } from '../backend';
import type { SafeTensor } from './safetensors';

type Tensor = tfjs.Tensor;
type Initializer = ReturnType<typeof tfjs.initializers.zeros>;
type Kwargs = Record<string, unknown>;
type Shape = (number | null)[];

export interface BertConfig {
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  intermediateSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
}

/** Reads a Hugging Face BERT `config.json`; refuses what this implementation does not compute. */
export function bertConfigFrom(json: Record<string, unknown>): BertConfig {
  const need = (key: string): number => {
    const v = json[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new Error(`encoder config: ${key} must be a positive number (got ${JSON.stringify(v)})`);
    return v;
  };
  if (json.model_type !== 'bert')
    throw new Error(`encoder config: model_type ${String(json.model_type)} is not bert`);
  if ((json.hidden_act ?? 'gelu') !== 'gelu')
    throw new Error(`encoder config: hidden_act ${String(json.hidden_act)} is not supported (gelu)`);
  if ((json.position_embedding_type ?? 'absolute') !== 'absolute')
    throw new Error(
      `encoder config: position_embedding_type ${String(json.position_embedding_type)} is not supported`,
    );
  const config: BertConfig = {
    vocabSize: need('vocab_size'),
    hiddenSize: need('hidden_size'),
    numLayers: need('num_hidden_layers'),
    numHeads: need('num_attention_heads'),
    intermediateSize: need('intermediate_size'),
    maxPositions: need('max_position_embeddings'),
    typeVocabSize: need('type_vocab_size'),
    layerNormEps: typeof json.layer_norm_eps === 'number' ? json.layer_norm_eps : 1e-12,
  };
  if (config.hiddenSize % config.numHeads !== 0)
    throw new Error(
      `encoder config: hidden_size ${config.hiddenSize} is not a multiple of num_attention_heads ${config.numHeads}`,
    );
  return config;
}

function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps: number): Tensor {
  const centered = tfjs.sub(x, tfjs.mean(x, -1, true));
  const variance = tfjs.mean(tfjs.square(centered), -1, true);
  return tfjs.add(tfjs.mul(centered, tfjs.mul(tfjs.rsqrt(tfjs.add(variance, eps)), gamma)), beta);
}

/** The exact (erf) GELU BERT was trained with. */
function gelu(x: Tensor): Tensor {
  return tfjs.mul(tfjs.mul(x, 0.5), tfjs.add(tfjs.erf(tfjs.mul(x, Math.SQRT1_2)), 1));
}

/**
 * Dropout with a deterministic seed sequence: the same layer, seed and number of training calls give
 * the same masks, so seeded fine-tuning runs repeat exactly.
 */
class SeededDropout {
  private calls = 0;
  constructor(
    private readonly rate: number,
    private readonly seed: number,
  ) {}

  apply(x: Tensor, training: boolean): Tensor {
    if (!training || this.rate <= 0) return x;
    this.calls++;
    return tfjs.dropout(x, this.rate, undefined, this.seed * 100_003 + this.calls);
  }
}

interface CommonArgs {
  name?: string;
  trainable?: boolean;
  dropout?: number;
  seed?: number;
}

export interface BertEmbeddingsArgs extends CommonArgs {
  vocabSize: number;
  hiddenSize: number;
  maxPositions: number;
  typeVocabSize: number;
  layerNormEps: number;
}

/** Word + position + token-type (always type 0: single sentences) embeddings, then layer norm. */
export class BertEmbeddings extends tfjs.layers.Layer {
  static readonly className = 'MercatoBertEmbeddings';
  private readonly args: BertEmbeddingsArgs;
  private readonly drop: SeededDropout;
  private words!: tfjs.LayerVariable;
  private positions!: tfjs.LayerVariable;
  private types!: tfjs.LayerVariable;
  private gamma!: tfjs.LayerVariable;
  private beta!: tfjs.LayerVariable;

  constructor(args: BertEmbeddingsArgs) {
    super(args);
    this.args = args;
    this.drop = new SeededDropout(args.dropout ?? 0, args.seed ?? 1);
  }

  override build(): void {
    const { vocabSize, hiddenSize, maxPositions, typeVocabSize } = this.args;
    const init = tfjs.initializers.truncatedNormal({ stddev: 0.02, seed: this.args.seed });
    this.words = this.addWeight('word_embeddings', [vocabSize, hiddenSize], 'float32', init);
    this.positions = this.addWeight('position_embeddings', [maxPositions, hiddenSize], 'float32', init);
    this.types = this.addWeight('token_type_embeddings', [typeVocabSize, hiddenSize], 'float32', init);
    this.gamma = this.addWeight('layer_norm_gamma', [hiddenSize], 'float32', tfjs.initializers.ones());
    this.beta = this.addWeight('layer_norm_beta', [hiddenSize], 'float32', tfjs.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape): Shape {
    return [...inputShape, this.args.hiddenSize];
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    return tfjs.tidy(() => {
      const ids = (Array.isArray(inputs) ? inputs[0] : inputs) as Tensor;
      const length = ids.shape[1] as number;
      if (length > this.args.maxPositions)
        throw new Error(
          `sequence of ${length} pieces is longer than the encoder's ${this.args.maxPositions} positions`,
        );
      const words = tfjs.gather(this.words.read(), tfjs.cast(ids, 'int32'));
      const positions = tfjs.slice(this.positions.read(), [0, 0], [length, this.args.hiddenSize]);
      const type0 = tfjs.slice(this.types.read(), [0, 0], [1, this.args.hiddenSize]);
      const summed = tfjs.add(tfjs.add(words, positions), type0);
      const normed = layerNorm(summed, this.gamma.read(), this.beta.read(), this.args.layerNormEps);
      return this.drop.apply(normed, kwargs.training === true);
    });
  }

  override getConfig(): tfjs.serialization.ConfigDict {
    const { vocabSize, hiddenSize, maxPositions, typeVocabSize, layerNormEps, dropout, seed } = this.args;
    return {
      ...super.getConfig(),
      vocabSize,
      hiddenSize,
      maxPositions,
      typeVocabSize,
      layerNormEps,
      dropout: dropout ?? 0,
      seed: seed ?? 1,
    };
  }
}

export interface BertBlockArgs extends CommonArgs {
  hiddenSize: number;
  numHeads: number;
  intermediateSize: number;
  layerNormEps: number;
  attentionDropout?: number;
}

/** One post-norm transformer block: self-attention + residual + norm, GELU MLP + residual + norm. */
export class BertBlock extends tfjs.layers.Layer {
  static readonly className = 'MercatoBertBlock';
  private readonly args: BertBlockArgs;
  private readonly dropAttention: SeededDropout;
  private readonly dropOutput: SeededDropout;
  private readonly dropFfn: SeededDropout;
  private w: Record<string, tfjs.LayerVariable> = {};

  constructor(args: BertBlockArgs) {
    super(args);
    this.args = args;
    const seed = args.seed ?? 1;
    this.dropAttention = new SeededDropout(args.attentionDropout ?? 0, seed);
    this.dropOutput = new SeededDropout(args.dropout ?? 0, seed + 1);
    this.dropFfn = new SeededDropout(args.dropout ?? 0, seed + 2);
  }

  override build(): void {
    const { hiddenSize: h, intermediateSize: m } = this.args;
    const seed = this.args.seed;
    const kernel = (s: number): Initializer =>
      tfjs.initializers.truncatedNormal({
        stddev: 0.02,
        seed: seed === undefined ? undefined : seed * 31 + s,
      });
    const zeros = tfjs.initializers.zeros();
    const ones = tfjs.initializers.ones();
    const add = (name: string, shape: number[], init: Initializer): void => {
      this.w[name] = this.addWeight(name, shape, 'float32', init);
    };
    add('query_kernel', [h, h], kernel(1));
    add('query_bias', [h], zeros);
    add('key_kernel', [h, h], kernel(2));
    add('key_bias', [h], zeros);
    add('value_kernel', [h, h], kernel(3));
    add('value_bias', [h], zeros);
    add('attention_output_kernel', [h, h], kernel(4));
    add('attention_output_bias', [h], zeros);
    add('attention_norm_gamma', [h], ones);
    add('attention_norm_beta', [h], zeros);
    add('intermediate_kernel', [h, m], kernel(5));
    add('intermediate_bias', [m], zeros);
    add('output_kernel', [m, h], kernel(6));
    add('output_bias', [h], zeros);
    add('output_norm_gamma', [h], ones);
    add('output_norm_beta', [h], zeros);
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as Shape;
  }

  override call(inputs: Tensor | Tensor[], kwargs: Kwargs): Tensor {
    return tfjs.tidy(() => {
      const [hidden, mask] = inputs as Tensor[];
      const training = kwargs.training === true;
      const [b, l, h] = (hidden as Tensor).shape as [number, number, number];
      const heads = this.args.numHeads;
      const d = h / heads;
      const v = (name: string): Tensor => (this.w[name] as tfjs.LayerVariable).read();
      // Dense layers are fused matmul + bias: one kernel instead of two passes over the activations.
      const dense = (x: Tensor, kernel: Tensor, bias: Tensor): Tensor =>
        tfjs.fused.matMul({ a: x as tfjs.Tensor2D, b: kernel as tfjs.Tensor2D, bias });
      const x = tfjs.reshape(hidden as Tensor, [b * l, h]);
      // Queries, keys and values in one product, then one transpose to [3, batch, heads, length, depth].
      const qkv = dense(
        x,
        tfjs.concat([v('query_kernel'), v('key_kernel'), v('value_kernel')], 1),
        tfjs.concat([v('query_bias'), v('key_bias'), v('value_bias')]),
      );
      const [q, k, values] = tfjs
        .unstack(tfjs.transpose(tfjs.reshape(qkv, [b, l, 3, heads, d]), [2, 0, 3, 1, 4]))
        .map((t) => tfjs.reshape(t, [b * heads, l, d])) as [Tensor, Tensor, Tensor];
      // Padding positions get a large negative score, so softmax gives them no weight.
      const bias = tfjs.reshape(tfjs.mul(tfjs.sub(1, mask as Tensor), -1e9), [b, 1, 1, l]);
      const scores = tfjs.add(
        tfjs.reshape(tfjs.matMul(tfjs.mul(q, 1 / Math.sqrt(d)), k, false, true), [b, heads, l, l]),
        bias,
      );
      const probs = this.dropAttention.apply(tfjs.softmax(scores, -1), training);
      const context = tfjs.reshape(
        tfjs.transpose(
          tfjs.reshape(tfjs.matMul(tfjs.reshape(probs, [b * heads, l, l]), values), [b, heads, l, d]),
          [0, 2, 1, 3],
        ),
        [b * l, h],
      );
      const attended = this.dropOutput.apply(
        dense(context, v('attention_output_kernel'), v('attention_output_bias')),
        training,
      );
      const normed = layerNorm(
        tfjs.add(attended, x),
        v('attention_norm_gamma'),
        v('attention_norm_beta'),
        this.args.layerNormEps,
      );
      const inner = gelu(dense(normed, v('intermediate_kernel'), v('intermediate_bias')));
      const out = this.dropFfn.apply(dense(inner, v('output_kernel'), v('output_bias')), training);
      const result = layerNorm(
        tfjs.add(out, normed),
        v('output_norm_gamma'),
        v('output_norm_beta'),
        this.args.layerNormEps,
      );
      return tfjs.reshape(result, [b, l, h]);
    });
  }

  override getConfig(): tfjs.serialization.ConfigDict {
    const { hiddenSize, numHeads, intermediateSize, layerNormEps, dropout, attentionDropout, seed } =
      this.args;
    return {
      ...super.getConfig(),
      hiddenSize,
      numHeads,
      intermediateSize,
      layerNormEps,
      dropout: dropout ?? 0,
      attentionDropout: attentionDropout ?? 0,
      seed: seed ?? 1,
    };
  }
}

/** Mean of the hidden states over the real (mask 1) positions: sentence-transformers' pooling. */
export class MaskedMeanPooling extends tfjs.layers.Layer {
  static readonly className = 'MercatoMaskedMeanPooling';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const hidden = (inputShape as Shape[])[0] as Shape;
    return [hidden[0] ?? null, hidden[2] ?? null];
  }

  override call(inputs: Tensor | Tensor[]): Tensor {
    return tfjs.tidy(() => {
      const [hidden, mask] = inputs as [Tensor, Tensor];
      const m = tfjs.expandDims(tfjs.cast(mask, 'float32'), -1);
      const summed = tfjs.sum(tfjs.mul(hidden, m), 1);
      return tfjs.div(summed, tfjs.maximum(tfjs.sum(m, 1), 1e-9));
    });
  }
}

for (const cls of [BertEmbeddings, BertBlock, MaskedMeanPooling])
  tfjs.serialization.registerClass(
    cls as unknown as tfjs.serialization.SerializableConstructor<tfjs.serialization.Serializable>,
  );

export interface BertGraph {
  ids: tfjs.SymbolicTensor;
  mask: tfjs.SymbolicTensor;
  embeddings: BertEmbeddings;
  blocks: BertBlock[];
  /** Masked mean of the last hidden states. */
  pooled: tfjs.SymbolicTensor;
}

/** The encoder graph: inputs `input_ids` (int32) and `attention_mask` (float32), both [batch, length]. */
export function bertGraph(
  tf: TF,
  config: BertConfig,
  options: { dropout?: number; attentionDropout?: number; seed?: number } = {},
): BertGraph {
  const seed = options.seed ?? 1;
  const ids = tf.input({ shape: [null], dtype: 'int32', name: 'input_ids' });
  const mask = tf.input({ shape: [null], dtype: 'float32', name: 'attention_mask' });
  const embeddings = new BertEmbeddings({ ...config, dropout: options.dropout, seed, name: 'embeddings' });
  let hidden = embeddings.apply(ids) as tfjs.SymbolicTensor;
  const blocks: BertBlock[] = [];
  for (let i = 0; i < config.numLayers; i++) {
    const block = new BertBlock({
      ...config,
      dropout: options.dropout,
      attentionDropout: options.attentionDropout,
      seed: seed + 10 * (i + 1),
      name: `layer_${i}`,
    });
    blocks.push(block);
    hidden = block.apply([hidden, mask]) as tfjs.SymbolicTensor;
  }
  const pooled = new MaskedMeanPooling({ name: 'mean_pooling' }).apply([hidden, mask]) as tfjs.SymbolicTensor;
  return { ids, mask, embeddings, blocks, pooled };
}

/** PyTorch Linear weights are [out, in]; TF.js kernels are [in, out]. */
function transposed(t: SafeTensor): Float32Array {
  const [rows, cols] = t.shape as [number, number];
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) out[c * rows + r] = t.values[r * cols + c] as number;
  return out;
}

/**
 * Sets the encoder's weights from a Hugging Face BERT checkpoint (names with or without the `bert.`
 * prefix). Every tensor is checked against the layer's shape; a missing one is an error naming it.
 */
export function loadBertWeights(
  tf: TF,
  graph: BertGraph,
  config: BertConfig,
  tensors: Map<string, SafeTensor>,
): void {
  const prefix = tensors.has('embeddings.word_embeddings.weight') ? '' : 'bert.';
  const get = (name: string, shape: number[], transpose = false): tfjs.Tensor => {
    const t = tensors.get(prefix + name);
    if (!t) throw new Error(`encoder weights: no tensor ${prefix + name}`);
    const expected = transpose ? [shape[1], shape[0]] : shape;
    if (t.shape.join() !== expected.join())
      throw new Error(
        `encoder weights: ${prefix + name} has shape [${t.shape.join(', ')}], expected [${expected.join(', ')}]`,
      );
    return tf.tensor(transpose ? transposed(t) : t.values, shape, 'float32');
  };
  const { hiddenSize: h, intermediateSize: m, vocabSize, maxPositions, typeVocabSize } = config;
  const set = (layer: tfjs.layers.Layer, values: tfjs.Tensor[]): void => {
    layer.setWeights(values);
    values.forEach((t) => t.dispose());
  };
  set(graph.embeddings, [
    get('embeddings.word_embeddings.weight', [vocabSize, h]),
    get('embeddings.position_embeddings.weight', [maxPositions, h]),
    get('embeddings.token_type_embeddings.weight', [typeVocabSize, h]),
    get('embeddings.LayerNorm.weight', [h]),
    get('embeddings.LayerNorm.bias', [h]),
  ]);
  graph.blocks.forEach((block, i) => {
    const p = `encoder.layer.${i}.`;
    set(block, [
      get(`${p}attention.self.query.weight`, [h, h], true),
      get(`${p}attention.self.query.bias`, [h]),
      get(`${p}attention.self.key.weight`, [h, h], true),
      get(`${p}attention.self.key.bias`, [h]),
      get(`${p}attention.self.value.weight`, [h, h], true),
      get(`${p}attention.self.value.bias`, [h]),
      get(`${p}attention.output.dense.weight`, [h, h], true),
      get(`${p}attention.output.dense.bias`, [h]),
      get(`${p}attention.output.LayerNorm.weight`, [h]),
      get(`${p}attention.output.LayerNorm.bias`, [h]),
      get(`${p}intermediate.dense.weight`, [h, m], true),
      get(`${p}intermediate.dense.bias`, [m]),
      get(`${p}output.dense.weight`, [m, h], true),
      get(`${p}output.dense.bias`, [h]),
      get(`${p}output.LayerNorm.weight`, [h]),
      get(`${p}output.LayerNorm.bias`, [h]),
    ]);
  });
}
