// Validate custom resources against the schemas of their CRDs, offline.
//
//   node validate.mjs [--modules DIR] < objects.json
//
// stdin: a JSON array of Kubernetes objects. stdout: a JSON report, one entry per object with its
// apiVersion, kind, name and "error" (null when valid). A kind without a model here is an error, never
// passed over. Exit status: 0 when every object is valid, 1 otherwise, 2 on bad input.
// DIR is the folder holding node_modules (default: this script's folder); the tests install it in
// .tools/k8s-schemas with `npm ci` from this folder's package-lock.json.

import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

// apiVersion → the kinds of that API the installed models can validate, and their module.
const MODELS = {
  "postgresql.cnpg.io/v1": {
    package: "@kubernetes-models/cloudnative-pg",
    folder: "postgresql.cnpg.io/v1",
    kinds: [
      "Backup",
      "Cluster",
      "ClusterImageCatalog",
      "Database",
      "ImageCatalog",
      "Pooler",
      "Publication",
      "ScheduledBackup",
      "Subscription",
    ],
  },
};

function modulesDir(argv) {
  const at = argv.indexOf("--modules");
  if (at >= 0 && argv[at + 1]) {
    return resolve(argv[at + 1]);
  }
  return dirname(fileURLToPath(import.meta.url));
}

async function modelFor(root, apiVersion, kind) {
  const api = MODELS[apiVersion];
  if (!api || !api.kinds.includes(kind)) {
    return null;
  }
  // A file URL bypasses the package's "exports" map, so the models load from any folder.
  const file = join(root, "node_modules", api.package, api.folder, `${kind}.js`);
  const module = await import(pathToFileURL(file).href);
  return module[kind];
}

function describe(error) {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].trim() || "invalid";
}

async function main() {
  let objects;
  try {
    objects = JSON.parse(readFileSync(0, "utf8"));
  } catch (error) {
    process.stderr.write(`validate.mjs: stdin is not JSON: ${describe(error)}\n`);
    return 2;
  }
  if (!Array.isArray(objects)) {
    process.stderr.write("validate.mjs: stdin must be a JSON array of objects\n");
    return 2;
  }
  const root = modulesDir(process.argv.slice(2));
  const report = [];
  for (const object of objects) {
    const apiVersion = object?.apiVersion ?? null;
    const kind = object?.kind ?? null;
    const name = object?.metadata?.name ?? null;
    let error = null;
    const Model = await modelFor(root, apiVersion, kind);
    if (Model === null) {
      error = `no schema known for ${apiVersion}/${kind}`;
    } else {
      try {
        new Model(object).validate();
      } catch (caught) {
        error = describe(caught);
      }
    }
    report.push({ apiVersion, kind, name, error });
  }
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return report.every((entry) => entry.error === null) ? 0 : 1;
}

process.exitCode = await main();
