// The part of the WebAssembly JavaScript API the kernels use. Node has it all; TypeScript declares it
// only in the DOM and worker libs, which the project does not load (they would declare browser
// globals that do not exist in Node).
declare namespace WebAssembly {
  class Module {
    constructor(bytes: Uint8Array);
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
  }
  class Instance {
    constructor(module: Module, imports?: Record<string, Record<string, unknown>>);
    readonly exports: Record<string, unknown>;
  }
}
