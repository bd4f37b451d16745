// Training-throughput benchmark for the tfjs text-model shape Mercato uses (docs/tensorflow-native.md).
// Embedding(VOCAB, 64) -> GlobalAveragePooling1D (or Conv1D(64,5,relu) -> GlobalMaxPooling1D) -> Dense(3),
// random int32 sequences of length 64, batch 64, Adam. Prints samples/s of model.fit, averaged over
// epochs 2..N (epoch 1 includes warm-up).
//
// usage: node bench/tf-backends.cjs [native|cpu] [gap|conv] [samplesPerEpoch] [epochs]
//   native = @tensorflow/tfjs-node (run scripts/tensorflow/install-tfjs-native.sh first)
//   cpu    = pure-JS @tensorflow/tfjs cpu backend (very slow: use e.g. VOCAB=500 ... cpu gap 256 2)
// env: VOCAB (default 20000), TF_CPP_MIN_LOG_LEVEL=2 to silence TensorFlow's startup logs
'use strict';

const [, , backendArg = 'native', arch = 'gap', samplesArg = '12800', epochsArg = '3'] = process.argv;
const tf = backendArg === 'native' ? require('@tensorflow/tfjs-node') : require('@tensorflow/tfjs');

async function main() {
  if (backendArg !== 'native') await tf.setBackend('cpu');
  await tf.ready();
  const VOCAB = Number(process.env.VOCAB || 20000);
  const LEN = 64;
  const BATCH = 64;
  const N = Number(samplesArg);
  const EPOCHS = Number(epochsArg);

  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: VOCAB, outputDim: 64, inputLength: LEN }));
  if (arch === 'conv') {
    model.add(tf.layers.conv1d({ filters: 64, kernelSize: 5, activation: 'relu' }));
    model.add(tf.layers.globalMaxPooling1d());
  } else {
    model.add(tf.layers.globalAveragePooling1d());
  }
  model.add(tf.layers.dense({ units: 3, activation: 'softmax' }));
  model.compile({
    optimizer: tf.train.adam(1e-3),
    loss: 'sparseCategoricalCrossentropy',
    metrics: ['accuracy'],
  });

  const x = tf.randomUniform([N, LEN], 0, VOCAB, 'int32');
  const y = tf.randomUniform([N], 0, 3, 'int32').cast('float32');
  const times = [];
  let start = 0;
  await model.fit(x, y, {
    batchSize: BATCH,
    epochs: EPOCHS,
    shuffle: true,
    verbose: 0,
    callbacks: {
      onEpochBegin: () => {
        start = Date.now();
      },
      onEpochEnd: (epoch, logs) => {
        const s = (Date.now() - start) / 1000;
        times.push(s);
        console.log(
          `epoch ${epoch + 1}: ${s.toFixed(2)}s ${(N / s).toFixed(1)} samples/s loss=${logs.loss.toFixed(4)}`,
        );
      },
    },
  });
  const steady = times.length > 1 ? times.slice(1) : times;
  const avg = steady.reduce((a, b) => a + b, 0) / steady.length;
  const libtf = backendArg === 'native' ? ` libtensorflow=${tf.backend().binding.TF_Version}` : '';
  console.log(
    `RESULT backend=${tf.getBackend()}${libtf} model=${arch} vocab=${VOCAB} params=${model.countParams()} ` +
      `samples/s=${(N / avg).toFixed(1)} (batch ${BATCH}, seq ${LEN}, ${N} samples/epoch, epochs 2..${EPOCHS})`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
