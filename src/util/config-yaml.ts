/**
 * YAML configuration files read by the server (encryption keys, webhook kubeconfigs with client
 * keys and tokens, admission configuration): parse errors name the line and the reason, as Go's
 * yaml decoder does ("yaml: line 9: ..."), and never quote the file. The yaml library's default
 * message copies the offending line with a caret under it; for an encryption configuration that
 * line can be a key (`secret: ...`), and the message is logged (a failed automatic reload) or
 * printed at start.
 */
import { parse, YAMLError, type DocumentOptions, type ParseOptions, type SchemaOptions, type ToJSOptions } from 'yaml';

export type ConfigYamlOptions = ParseOptions & DocumentOptions & SchemaOptions & ToJSOptions;

/** The 1-based line of a character offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

export function parseConfigYaml(text: string, options: ConfigYamlOptions = {}): unknown {
  try {
    return parse(text, { ...options, prettyErrors: false });
  } catch (err) {
    if (err instanceof YAMLError) throw new Error(`yaml: line ${lineOf(text, err.pos[0])}: ${err.message}`);
    throw err;
  }
}
