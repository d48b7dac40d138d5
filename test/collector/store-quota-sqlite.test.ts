import { quotaStoreContract } from './quota-store-contract.js';
import { sqliteHarness } from './store-harness.js';

quotaStoreContract('SQLite', sqliteHarness);
