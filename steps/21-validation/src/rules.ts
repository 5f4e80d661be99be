// The rules, loaded once: lesson 21's descriptor set (rules.binpb, built by
// `pnpm gen` from proto/greeter/v1/greeter_rules.proto) in a protobuf-es
// registry, with buf/validate/validate.proto from @bufbuild/protovalidate's own
// embedded descriptor, and checked against the contract every lesson serves.
import { readFileSync } from 'node:fs';
import { createFileRegistry, type DescField, type DescFile, type DescMessage, type FileRegistry, fromBinary } from '@bufbuild/protobuf';
import { nestedTypes } from '@bufbuild/protobuf/reflect';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { file_buf_validate_validate } from '@bufbuild/protovalidate/gen/buf/validate/validate_pb.js';

const rulesSet = fromBinary(FileDescriptorSetSchema, readFileSync(new URL('../rules.binpb', import.meta.url)));
const [rulesFile] = rulesSet.file;
if (!rulesFile || rulesSet.file.length !== 1) throw new Error('rules.binpb: expected exactly one file; run pnpm gen');

/** The request messages with rules, and buf.validate's own definitions from the package that validates them. */
export const RULES: FileRegistry = createFileRegistry(rulesFile, (file) =>
  file === `${file_buf_validate_validate.name}.proto` ? file_buf_validate_validate : undefined,
);

/** greeter/v1/greeter_rules.proto, as its descriptor. */
export const RULES_FILE: DescFile = RULES.getFile(rulesFile.name) as DescFile;

/** The contract as lesson 07's reflection serves it (api.binpb, built by buf from proto/): its services and messages. */
export const CONTRACT: FileRegistry = createFileRegistry(
  fromBinary(FileDescriptorSetSchema, readFileSync(new URL('../api.binpb', import.meta.resolve('@course/07-reflection-health')))),
);

/** What the wire depends on, per field: `name=number type`. */
const wireShape = (m: DescMessage) =>
  m.fields.map((f: DescField) => `${f.name}=${f.number} ${f.proto.label}:${f.proto.type}:${f.proto.typeName}`).join(', ');

/**
 * Every message with rules must be, field for field, the contract's message of the same name: the
 * server decodes the contract's bytes with the rules' schema. Throws (the server does not start) on drift.
 */
export function checkRulesMatchContract(rules: DescFile = RULES_FILE, contract: FileRegistry = CONTRACT): DescMessage[] {
  const messages: DescMessage[] = [];
  for (const type of nestedTypes(rules)) {
    if (type.kind !== 'message') continue;
    const served = contract.getMessage(type.typeName);
    if (!served) throw new Error(`rules for ${type.typeName}, which the contract does not have`);
    if (wireShape(type) !== wireShape(served)) {
      throw new Error(`rules for ${type.typeName} do not match the contract: rules {${wireShape(type)}}, contract {${wireShape(served)}}`);
    }
    messages.push(type);
  }
  return messages;
}
