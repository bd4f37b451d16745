// Writes kubeconform's strict, standalone JSON schemas (`<kind>-<group>-<version>.json`, the
// layout of kubeconform's `{{ .ResourceKind }}{{ .KindSuffix }}` template) from:
//   --swagger <file>  Kubernetes' api/openapi-spec/swagger.json (Go module k8s.io/kubernetes)
//   --crd <file>      CustomResourceDefinition YAML files (repeatable; KEDA, prometheus-operator,
//                     Gateway API, CloudNativePG from their Go modules, Strimzi generated from its
//                     Maven artifacts)
//   --out <dir>
// The same conversion as kubeconform's openapi2jsonschema.py, done here because our machines
// cannot download the published schema sets: objects with declared properties reject unknown
// fields (strict), int-or-string and resource quantities accept both spellings, and `kind` and
// `apiVersion` must match the file's kind.
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

const args = process.argv.slice(2);
const crdFiles = [];
let swaggerFile = '';
let outDir = '';
for (let i = 0; i < args.length; i += 2) {
  const [flag, value] = [args[i], args[i + 1]];
  if (value === undefined) throw new Error(`missing value after ${flag}`);
  if (flag === '--swagger') swaggerFile = value;
  else if (flag === '--crd') crdFiles.push(value);
  else if (flag === '--out') outDir = value;
  else throw new Error(`unknown flag ${flag}`);
}
if (!outDir || !swaggerFile) {
  throw new Error('usage: generate.mjs --swagger swagger.json [--crd crd.yaml ...] --out dir');
}
fs.mkdirSync(outDir, { recursive: true });

const fileName = (kind, group, version) =>
  `${kind.toLowerCase()}${group ? `-${group.split('.')[0].toLowerCase()}` : ''}-${version.toLowerCase()}.json`;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Adds `additionalProperties: false` wherever properties are declared (kubectl's strictness). */
function strict(node, preserveUnknown = false) {
  if (Array.isArray(node)) return node.map((n) => strict(n));
  if (!isObject(node)) return node;
  if (node['x-kubernetes-int-or-string'] === true) {
    const { description } = node;
    return { ...(description ? { description } : {}), anyOf: [{ type: 'integer' }, { type: 'string' }] };
  }
  const preserve = preserveUnknown || node['x-kubernetes-preserve-unknown-fields'] === true;
  const out = {};
  for (const [k, v] of Object.entries(node)) {
    // properties and patternProperties hold field names, not schemas: recurse into their values.
    if ((k === 'properties' || k === 'patternProperties' || k === 'definitions') && isObject(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, s]) => [name, strict(s)]));
    } else {
      out[k] = strict(v);
    }
  }
  if (out.nullable === true && typeof out.type === 'string') {
    out.type = [out.type, 'null'];
  }
  delete out.nullable;
  if (
    out.properties &&
    out.additionalProperties === undefined &&
    !node['x-kubernetes-preserve-unknown-fields'] &&
    !preserve
  ) {
    out.additionalProperties = false;
  }
  return out;
}

function pinKind(schema, kind, apiVersion) {
  const properties = { ...(schema.properties ?? {}) };
  properties.kind = { type: 'string', enum: [kind] };
  properties.apiVersion = { type: 'string', enum: [apiVersion] };
  return {
    ...schema,
    properties,
    required: [...new Set([...(schema.required ?? []), 'kind', 'apiVersion'])],
  };
}

let written = 0;
const write = (name, schema) => {
  fs.writeFileSync(path.join(outDir, name), JSON.stringify(schema));
  written += 1;
};

// --- Kubernetes built-in kinds --------------------------------------------------------------
const swagger = JSON.parse(fs.readFileSync(swaggerFile, 'utf8'));
const definitions = swagger.definitions;
const special = {
  'io.k8s.apimachinery.pkg.util.intstr.IntOrString': { anyOf: [{ type: 'integer' }, { type: 'string' }] },
  'io.k8s.apimachinery.pkg.api.resource.Quantity': { anyOf: [{ type: 'string' }, { type: 'number' }] },
};
const converted = new Map();
const convert = (name) => {
  if (!converted.has(name)) {
    converted.set(name, special[name] ?? strict(definitions[name]));
  }
  return converted.get(name);
};
const refsOf = (node, into) => {
  if (Array.isArray(node)) node.forEach((n) => refsOf(n, into));
  else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') into.add(v.replace('#/definitions/', ''));
      else refsOf(v, into);
    }
  }
};
for (const [name, def] of Object.entries(definitions)) {
  const gvks = def['x-kubernetes-group-version-kind'];
  // Only real resources (those with a metadata field), one GVK each: skips DeleteOptions & co.
  if (!Array.isArray(gvks) || gvks.length !== 1 || !def.properties?.metadata) continue;
  const { group, version, kind } = gvks[0];
  const reachable = new Set();
  const queue = [name];
  while (queue.length) {
    const next = queue.pop();
    if (reachable.has(next)) continue;
    reachable.add(next);
    const found = new Set();
    refsOf(convert(next), found);
    found.forEach((r) => queue.push(r));
  }
  reachable.delete(name);
  const apiVersion = group ? `${group}/${version}` : version;
  const local = Object.fromEntries([...reachable].sort().map((r) => [r, convert(r)]));
  write(fileName(kind, group, version), { ...pinKind(convert(name), kind, apiVersion), definitions: local });
}

// --- CustomResourceDefinitions --------------------------------------------------------------
for (const file of crdFiles) {
  for (const doc of parseAllDocuments(fs.readFileSync(file, 'utf8'))) {
    const crd = doc.toJS();
    if (crd?.kind !== 'CustomResourceDefinition') continue;
    const { group, names, versions } = crd.spec;
    for (const v of versions) {
      const schema = v.schema?.openAPIV3Schema;
      if (!schema) continue;
      write(fileName(names.kind, group, v.name), pinKind(strict(schema), names.kind, `${group}/${v.name}`));
    }
  }
}
console.log(`schemas: wrote ${written} files to ${outDir}`);
