import { storeContract } from './store-contract.js';
import { sqliteHarness } from './store-harness.js';

storeContract('SQLite', sqliteHarness);
