import { mount } from 'svelte';
import App from './App.svelte';
import { tellShellLanguage } from './lib/api.ts';
import { localeChosen, startLocale } from './lib/locale.ts';
import './app.css';

// Before the first message is read: components take their labels from the catalogue as they mount.
const locale = startLocale();
// The desktop app's menu and dialogs are main's: it learns the page's language from here, and
// remembers the user's switch for the boxes it may show at its next start, before this page loads.
tellShellLanguage(locale, localeChosen());

mount(App, { target: document.getElementById('app')! });
