import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { readFileSync } from 'node:fs';
import type { Logger } from '../core/logger.js';

/**
 * Server reflection from the descriptors `buf build --as-file-descriptor-set` wrote, file by file
 * as protoc sees them: real file names (`kumo/v1/instances.proto`), snake_case field names with
 * their json_name, and every import (google/protobuf/timestamp.proto included). Descriptors that
 * @grpc/proto-loader synthesizes from .proto files do not qualify: it renames fields to camelCase
 * and merges files by package, which grpcurl and Python's protobuf refuse.
 */

/** The serialized FileDescriptorProtos of a FileDescriptorSet (field 1), bytes untouched. */
export function fileDescriptorProtos(set: Uint8Array): Buffer[] {
  const reader = new BinaryReader(set);
  const files: Buffer[] = [];
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited)
      files.push(Buffer.from(reader.bytes()));
    else reader.skip(wireType, field);
  }
  if (files.length === 0) throw new Error('no file descriptors in the set');
  return files;
}

/**
 * Adds reflection (v1 and v1alpha) serving the descriptor set at `path`. When the file is missing
 * or unreadable (a build that skipped `buf build`), kumod still serves its API and logs why
 * reflection is off: the API itself does not depend on it.
 */
export function addReflection(server: Server, descriptorSetPath: string, logger: Logger): boolean {
  let files: Buffer[];
  try {
    files = fileDescriptorProtos(readFileSync(descriptorSetPath));
  } catch (e) {
    logger.error('gRPC reflection is off: no usable descriptor set', {
      path: descriptorSetPath,
      error: String(e),
      fix: 'build it with: buf build --as-file-descriptor-set -o <path>',
    });
    return false;
  }
  // @grpc/reflection indexes whatever FileDescriptorProtos the definitions carry; one entry with
  // all files is enough for it to answer every symbol and file name.
  const definition: PackageDefinition = {
    'kumo.descriptors': {
      format: 'Protocol Buffer 3 DescriptorProto',
      type: {},
      fileDescriptorProtos: files,
    },
  };
  new ReflectionService(definition).addToServer(server);
  return true;
}
