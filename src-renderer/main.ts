import { mount } from 'svelte';
import App from './App.svelte';
import { tellShellLanguage } from './lib/api.ts';
import { startLocale } from './lib/locale.ts';
import './app.css';

// Before the first message is read: components take their labels from the catalogue as they mount.
const locale = startLocale();
// The desktop app's menu and dialogs are main's: it learns the page's language from here.
tellShellLanguage(locale);

mount(App, { target: document.getElementById('app')! });
