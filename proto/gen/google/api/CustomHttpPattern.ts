// Original file: ../node_modules/.pnpm/google-proto-files@6.0.1/node_modules/google-proto-files/google/api/http.proto


export interface CustomHttpPattern {
  'kind'?: (string);
  'path'?: (string);
}

export interface CustomHttpPattern__Output {
  'kind': (string);
  'path': (string);
}
