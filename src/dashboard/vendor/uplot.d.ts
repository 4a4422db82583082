// uPlot's types for its ES module, which the build copies to dist/src/dashboard/vendor/uplot.js.
import uPlot from 'uplot';
export default uPlot;
