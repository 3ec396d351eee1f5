import { mount } from 'svelte';
import App from './App.svelte';
import { startLocale } from './lib/locale.ts';
import './app.css';

// Before the first message is read: components take their labels from the catalogue as they mount.
startLocale();

mount(App, { target: document.getElementById('app')! });
