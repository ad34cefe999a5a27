// Preloaded by tests with `node --require` into a switchyard process: at exit it writes the npm
// packages the process loaded (from the CommonJS module cache, which ESM imports of CommonJS
// packages also fill) as a JSON array to the file named by $SWITCHYARD_TEST_LOADED.
const { writeFileSync } = require('node:fs');

process.on('exit', () => {
  const names = new Set();
  for (const file of Object.keys(require.cache)) {
    const m = /[/\\]node_modules[/\\]((?:@[^/\\]+[/\\])?[^/\\]+)/.exec(file);
    if (m) names.add(m[1].replace('\\', '/'));
  }
  writeFileSync(process.env.SWITCHYARD_TEST_LOADED, JSON.stringify([...names].sort()));
});
