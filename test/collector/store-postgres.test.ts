import { PG_SKIP_REASON, warnIfNoPg } from '../support/pg.js';
import { storeContract } from './store-contract.js';
import { postgresHarness } from './store-harness.js';

warnIfNoPg('the store contract suite');
storeContract('PostgreSQL', postgresHarness, PG_SKIP_REASON);
