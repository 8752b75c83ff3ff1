import { render } from 'preact';
import { Dashboard } from './dashboard';

render(<Dashboard />, document.getElementById('root')!);
