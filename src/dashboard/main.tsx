// The dashboard's entry module (loaded by the page the management listener serves at /).

import { render } from 'preact';
import { App } from './app.js';
import './theme.js';

render(<App />, document.getElementById('app')!);
