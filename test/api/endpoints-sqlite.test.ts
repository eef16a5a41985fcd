import { endpointSuite } from './endpoint-suite.js';

endpointSuite('sqlite');
