// Content-script entry: only wiring. The runner owns the life cycle; adapters only read.
import { startRunner } from './runner';

startRunner();
