// The rules file against the contract: it restates greeter.v1's requests, and a restatement that drifts
// from the contract (a field renumbered, say) stops the server before it serves a call.
import { readFileSync } from 'node:fs';
import { createFileRegistry, fromBinary } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { checkRulesMatchContract, RULES_FILE } from '../src/index.js';

const api = readFileSync(new URL('../api.binpb', import.meta.resolve('@course/07-reflection-health')));

describe('checkRulesMatchContract', () => {
  it('finds the two request messages with rules, matching the contract', () => {
    expect(checkRulesMatchContract().map((m) => m.typeName)).toEqual(['greeter.v1.HelloRequest', 'greeter.v1.ChatMessage']);
  });

  it('throws when the contract has moved under the rules', () => {
    const set = fromBinary(FileDescriptorSetSchema, api);
    const greeter = set.file.find((f) => f.name === 'greeter/v1/greeter.proto');
    const count = greeter?.messageType.find((m) => m.name === 'HelloRequest')?.field.find((f) => f.name === 'count');
    if (!count) throw new Error('api.binpb has no greeter.v1.HelloRequest.count');
    count.number = 3;
    expect(() => checkRulesMatchContract(RULES_FILE, createFileRegistry(set))).toThrow(
      /rules for greeter\.v1\.HelloRequest do not match the contract: .*count=2.*count=3/,
    );
  });
});
