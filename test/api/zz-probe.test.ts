import * as client from 'openid-client';
import Provider from 'oidc-provider';
import { chromium } from 'playwright-core';
import { test } from 'uvu';
test('probe', () => { console.log(typeof client.discovery, typeof Provider, typeof chromium.launch); });
test.run();
