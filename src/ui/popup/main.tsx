import { render } from 'preact';
import { Popup } from './popup';

render(<Popup />, document.getElementById('root')!);
