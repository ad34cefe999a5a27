/**
 * Node's llhttp binding as exported by `_http_common` (the strict parser node:http itself uses;
 * stable since Node 12, no warning), shared by the front end (requests) and the upstream client
 * (responses).
 */
import { createRequire } from 'node:module';

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code?: string; bytesParsed?: number });
  finish(): number | (Error & { code?: string }) | undefined;
  close(): void;
  [key: number]: unknown;
}
interface NativeParserClass {
  new (): NativeParser;
  REQUEST: number;
  RESPONSE: number;
  kOnHeaders: number;
  kOnHeadersComplete: number;
  kOnBody: number;
  kOnMessageComplete: number;
}
const common = createRequire(import.meta.url)('_http_common') as { HTTPParser: NativeParserClass; methods: string[] };
export const HTTPParser = common.HTTPParser;
/** Method names by llhttp's method number. */
export const METHODS = common.methods;
export const kOnHeaders = HTTPParser.kOnHeaders | 0;
export const kOnHeadersComplete = HTTPParser.kOnHeadersComplete | 0;
export const kOnBody = HTTPParser.kOnBody | 0;
export const kOnMessageComplete = HTTPParser.kOnMessageComplete | 0;
export const PARSER_RESOURCE = {};
/** Largest head accepted, request or response (node's default --max-http-header-size). */
export const MAX_HEAD_SIZE = 16 * 1024;
/** The blank line that ends a head. */
export const HEAD_END = Buffer.from('\r\n\r\n', 'latin1');
