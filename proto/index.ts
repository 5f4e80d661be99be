// Where the .proto files live, so every step loads the same contract at run time.
import { fileURLToPath } from 'node:url';

/** Absolute path of the proto root: the include directory for every .proto import. */
export const PROTO_ROOT = fileURLToPath(new URL('.', import.meta.url));
