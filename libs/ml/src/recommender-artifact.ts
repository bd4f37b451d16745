// A recommender as a registry artifact: the six learned tables as embedding layers of a TF.js
// LayersModel (model.json + weights), the id maps, vocabulary, item tokens and (sequential models)
// the user tower's position weights in the manifest's `extra`. Reading one back gives a RecommenderModel that serves without TensorFlow.
import {
  packModel,
  readManifest,
  unpackModel,
  type ArtifactFile,
  type ModelArtifact,
  type ModelManifest,
} from './artifact';
import type { TF } from './backend';
import {
  RecommenderModel,
  recommenderHyperparameters,
  type RecommenderHyperparameters,
  type RecommenderObjective,
} from './recommender';

type Tensor = import('@tensorflow/tfjs').Tensor;
type SymbolicTensor = import('@tensorflow/tfjs').SymbolicTensor;

/**
 * A LayersModel holding the six learned tables as embedding layers (model.json + weights.bin);
 * the id maps, vocabulary and item tokens go into the manifest's `extra`.
 */
export async function recommenderToArtifact(
  tf: TF,
  recommender: RecommenderModel,
  manifest: Omit<ModelManifest, 'format' | 'kind' | 'hyperparameters' | 'extra'>,
): Promise<ModelArtifact> {
  const state = recommender.state();
  const model = tablesModel(tf, state.hp.dim, {
    users: state.users.length,
    items: state.items.length,
    vocab: state.vocab.length,
  });
  try {
    const d = state.hp.dim;
    const t = state.tables;
    const weights = [
      tf.tensor2d(t.userEmbedding, [state.users.length, d]),
      tf.tensor2d(t.userBias, [state.users.length, 1]),
      tf.tensor2d(t.itemEmbedding, [state.items.length, d]),
      tf.tensor2d(t.itemBias, [state.items.length, 1]),
      tf.tensor2d(t.tokenEmbedding, [state.vocab.length, d]),
      tf.tensor2d(t.tokenBias, [state.vocab.length, 1]),
    ];
    TABLE_LAYERS.forEach((name, k) => model.getLayer(name).setWeights([weights[k] as Tensor]));
    weights.forEach((w) => w.dispose());
    const extra: RecommenderExtra = {
      objective: state.hp.objective,
      ...(state.positionWeights ? { positionWeights: Array.from(state.positionWeights) } : {}),
      globalMean: state.globalMean,
      valueRange: state.valueRange,
      users: state.users,
      items: state.items,
      vocab: state.vocab,
      itemTokens: state.itemTokens.map((ids) => ids.join(' ')),
    };
    return await packModel(tf, model, {
      format: 'mercato-model/v1',
      kind: 'recommender',
      hyperparameters: { ...state.hp },
      extra: extra as unknown as Record<string, unknown>,
      ...manifest,
    });
  } finally {
    model.dispose();
  }
}

export async function loadRecommender(
  tf: TF,
  artifact: { files: ArtifactFile[] },
): Promise<RecommenderModel> {
  const manifest = readManifest(artifact);
  if (manifest.kind !== 'recommender' || !manifest.extra)
    throw new Error(`not a recommender artifact (kind ${manifest.kind})`);
  const extra = manifest.extra as unknown as RecommenderExtra;
  const hp = recommenderHyperparameters(manifest.hyperparameters as Partial<RecommenderHyperparameters>);
  const model = await unpackModel(tf, artifact);
  try {
    const read = (name: string): Float32Array =>
      Float32Array.from((model.getLayer(name).getWeights()[0] as Tensor).dataSync() as Float32Array);
    const [userEmbedding, userBias, itemEmbedding, itemBias, tokenEmbedding, tokenBias] = TABLE_LAYERS.map(
      read,
    ) as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    if (
      itemEmbedding.length !== extra.items.length * hp.dim ||
      userEmbedding.length !== extra.users.length * hp.dim
    ) {
      throw new Error('recommender artifact: tables do not match the id maps in the manifest');
    }
    if (hp.objective === 'sequential' && extra.positionWeights?.length !== hp.historyLength)
      throw new Error('recommender artifact: a sequential model needs historyLength position weights');
    return new RecommenderModel({
      hp,
      ...(extra.positionWeights ? { positionWeights: Float32Array.from(extra.positionWeights) } : {}),
      users: extra.users,
      items: extra.items,
      vocab: extra.vocab,
      itemTokens: extra.itemTokens.map((ids) => (ids ? ids.split(' ').map(Number) : [])),
      globalMean: extra.globalMean,
      valueRange: extra.valueRange,
      tables: { userEmbedding, userBias, itemEmbedding, itemBias, tokenEmbedding, tokenBias },
    });
  } finally {
    model.dispose();
  }
}

/** What the manifest's `extra` holds for kind 'recommender'. */
export interface RecommenderExtra {
  objective: RecommenderObjective;
  /** Sequential models: the user tower's weight per history position (0: the latest item). */
  positionWeights?: number[];
  globalMean: number;
  valueRange: [number, number];
  users: string[];
  items: string[];
  vocab: string[];
  /**
   * Per item (itemIds order), its token ids in `vocab`, space-separated: one short string per item
   * keeps the pretty-printed manifest small (nested number arrays print one number per line).
   */
  itemTokens: string[];
}

const TABLE_LAYERS = [
  'user_embedding',
  'user_bias',
  'item_embedding',
  'item_bias',
  'token_embedding',
  'token_bias',
] as const;

/** (user, item, token) ids in, their rows of each table out: a container that serializes as TF.js layers. */
function tablesModel(
  tf: TF,
  dim: number,
  sizes: { users: number; items: number; vocab: number },
): import('@tensorflow/tfjs').LayersModel {
  const user = tf.input({ shape: [1], dtype: 'int32', name: 'user' });
  const item = tf.input({ shape: [1], dtype: 'int32', name: 'item' });
  const token = tf.input({ shape: [1], dtype: 'int32', name: 'token' });
  const table = (input: SymbolicTensor, rows: number, width: number, name: string): SymbolicTensor =>
    tf.layers
      .flatten({ name: `${name}_row` })
      .apply(tf.layers.embedding({ inputDim: rows, outputDim: width, name }).apply(input)) as SymbolicTensor;
  const outputs = [
    table(user, sizes.users, dim, 'user_embedding'),
    table(user, sizes.users, 1, 'user_bias'),
    table(item, sizes.items, dim, 'item_embedding'),
    table(item, sizes.items, 1, 'item_bias'),
    table(token, sizes.vocab, dim, 'token_embedding'),
    table(token, sizes.vocab, 1, 'token_bias'),
  ];
  return tf.model({ inputs: [user, item, token], outputs, name: 'mercato_recommender' });
}
