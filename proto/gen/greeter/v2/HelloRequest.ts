// Original file: greeter/v2/greeter.proto

import type { PersonName as _greeter_v2_PersonName, PersonName__Output as _greeter_v2_PersonName__Output } from '../../greeter/v2/PersonName.js';

export interface HelloRequest {
  'name'?: (_greeter_v2_PersonName | null);
}

export interface HelloRequest__Output {
  'name': (_greeter_v2_PersonName__Output | null);
}
