// Where the .proto files live, so every step loads the same contract at run time.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the proto root: the include directory for every .proto import. */
export const PROTO_ROOT = fileURLToPath(new URL('.', import.meta.url));

/** google/api/{annotations,http}.proto and google/rpc/*.proto, from the package that ships them (never copied here). */
export const GOOGLE_PROTOS_DIR = dirname(createRequire(import.meta.url).resolve('google-proto-files/package.json'));

/**
 * Every include directory the course's protos are compiled and loaded with, in one place:
 * proto-loader (lesson 01), proto-loader-gen-types, buf (lint, breaking, the
 * descriptor set) and the Python interop client all take these.
 */
export const PROTO_INCLUDE_DIRS: string[] = [PROTO_ROOT, GOOGLE_PROTOS_DIR];
