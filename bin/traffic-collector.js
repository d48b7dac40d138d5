#!/usr/bin/env node
import '../dist/collector/cli.js';
