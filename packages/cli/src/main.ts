/** The `switchyard` command: parses argv and wires the packages together. */
export async function main(argv: string[]): Promise<void> {
  process.stderr.write(`switchyard: not wired yet (${argv.join(' ')})\n`);
  process.exitCode = 1;
}
