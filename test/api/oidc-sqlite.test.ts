import { oidcSuite } from './oidc-suite.js';

oidcSuite('sqlite');
