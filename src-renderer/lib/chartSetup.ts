import {
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';
import { MatrixController, MatrixElement } from 'chartjs-chart-matrix';

// Register only what the views draw: keeps the bundle small and the CSP happy (no eval anywhere).
Chart.register(
  LineController,
  ScatterController,
  MatrixController,
  LineElement,
  PointElement,
  MatrixElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  Tooltip,
  Legend,
  Filler,
);

export { Chart };
