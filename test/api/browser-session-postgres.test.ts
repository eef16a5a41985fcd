import { browserSessionSuite } from './browser-session-suite.js';

browserSessionSuite('postgres');
