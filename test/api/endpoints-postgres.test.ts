import { endpointSuite } from './endpoint-suite.js';

endpointSuite('postgres');
