/**
 * Import rules checked by `npm run depcheck` (part of `npm test`).
 *
 * packages/proxy/src is layered; a folder imports only from folders below it:
 *   model/, wire/          leaf types, stores and codecs (no imports of other folders)
 *   acl/                   fetches, converters, conditions, log-format tokenizer
 *   selection/, log/, tls/ balancing algorithms; loggers and log lines; TLS contexts and options
 *   control/               the one place server and frontend state change
 *   health/                active, agent and passive checks
 *   runtime/               the compiler: a ConfigModel becomes a ProxyRuntime and its plans
 *   filters/               HTTP filters on the response body (compression, cache)
 *   datapath/              connections, muxes, streams, analyzers
 *   dns/, cluster/         service discovery; the --workers node view
 *   index.ts               the package's entry
 */
const LAYERS = [
  ['model', 'wire'],
  ['acl'],
  ['selection', 'log', 'tls'],
  ['control'],
  ['health'],
  ['runtime'],
  ['filters'],
  ['datapath'],
  ['dns', 'cluster'],
];
const SRC = '^packages/proxy/src/';
const above = (i) => LAYERS.slice(i + 1).flat();
const sameLayerOthers = (i, folder) => LAYERS[i].filter((f) => f !== folder);

const layerRules = LAYERS.flatMap((folders, i) =>
  folders.map((folder) => ({
    name: `proxy-layer-${folder}`,
    comment: `packages/proxy/src/${folder}/ may import only from folders in lower layers (see .dependency-cruiser.cjs)`,
    severity: 'error',
    from: { path: `${SRC}${folder}/` },
    to: { path: `${SRC}(${[...above(i), ...sameLayerOthers(i, folder), 'index\\.ts$'].join('|')})` },
  })),
);

const placed = LAYERS.flat().join('|');

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'proxy-folder-in-a-layer',
      comment: 'every folder of packages/proxy/src is placed in LAYERS above, so the layer rules cover it',
      severity: 'error',
      from: { path: `${SRC}[^/]+/`, pathNot: `${SRC}(${placed})/` },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'No import cycles between modules.',
      severity: 'error',
      from: { path: '^packages/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
